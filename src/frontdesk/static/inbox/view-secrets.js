// Secrets page: the workspace's secrets for HTTP actions (values go in, never come out) and
// the private hosts actions and webhooks may call.

import { api } from './api.js';
import { confirmButton, errorLine, h } from './dom.js';
import { fullTime, isManager, relativeTime } from './format.js';

const NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

export function createSecretsView({ session }) {
  const el = h('main', { class: 'page', 'aria-labelledby': 'secrets-title' },
    h('header', { class: 'page-header' },
      h('h1', { id: 'secrets-title' }, 'Secrets'),
      h('p', { class: 'muted' },
        'Tokens your HTTP actions use, written as ', h('code', null, '${secret:NAME}'),
        ' in an action. Values are encrypted and can be replaced, never read back.')));

  if (!isManager(session.member)) {
    el.append(h('section', { class: 'card' },
      h('p', { class: 'muted', testid: 'secrets-forbidden' }, 'Only owners and admins can manage secrets.')));
    return { el };
  }

  const pageError = errorLine('secrets-error');
  const body = h('tbody');

  function secretRow(secret) {
    return h('tr', { testid: 'secret-row', dataset: { name: secret.name } },
      h('td', null, h('code', null, secret.name)),
      h('td', { class: 'muted', title: fullTime(secret.updated_at) }, relativeTime(secret.updated_at) || '—'),
      h('td', { class: 'cell-actions' }, confirmButton({
        label: 'Delete',
        question: `Delete ${secret.name}? Actions that use it will fail until it is set again.`,
        testid: 'secret-delete',
        onConfirm: async () => {
          pageError.set('');
          try {
            await api.deleteSecret(secret.name);
            await load();
          } catch (err) {
            pageError.set(err.message);
          }
        },
      })));
  }

  async function load() {
    try {
      const secrets = await api.secrets();
      body.replaceChildren(...secrets.map(secretRow));
      if (!secrets.length) body.append(h('tr', null, h('td', { colspan: '3', class: 'muted' }, 'No secrets yet.')));
    } catch (err) {
      pageError.set(`Could not load secrets: ${err.message}`);
    }
  }

  const name = h('input', {
    id: 'secret-name', type: 'text', required: true, maxlength: '64', testid: 'secret-name',
    placeholder: 'HELPDESK_TOKEN', autocomplete: 'off', spellcheck: 'false',
  });
  const value = h('input', {
    id: 'secret-value', type: 'password', required: true, testid: 'secret-value', autocomplete: 'new-password',
  });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'secret-save' }, 'Save secret');
  const formError = errorLine('secret-form-error');
  const saved = h('p', { class: 'muted', role: 'status', testid: 'secret-saved' });
  const form = h('form', { class: 'inline-form' },
    h('div', { class: 'field' }, h('label', { for: 'secret-name' }, 'Name'), name),
    h('div', { class: 'field field-grow' }, h('label', { for: 'secret-value' }, 'Value'), value),
    h('div', { class: 'field field-button' }, save));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.set('');
    saved.textContent = '';
    const key = name.value.trim().toUpperCase();
    if (!NAME.test(key)) {
      formError.set('Use upper-case letters, digits and _, starting with a letter (e.g. HELPDESK_TOKEN).');
      name.focus();
      return;
    }
    if (!value.value) {
      formError.set('Enter the value to store.');
      value.focus();
      return;
    }
    save.disabled = true;
    try {
      await api.putSecret(key, value.value);
      value.value = '';
      name.value = '';
      saved.textContent = `Saved ${key}.`;
      await load();
    } catch (err) {
      formError.set(err.message);
    } finally {
      save.disabled = false;
    }
  });

  // ---- allowed hosts ------------------------------------------------------------------
  const hosts = h('textarea', {
    id: 'allowed-hosts', rows: '4', testid: 'allowed-hosts', spellcheck: 'false',
    placeholder: '10.0.0.5:8080\nintranet.local',
  });
  const saveHosts = h('button', { type: 'submit', class: 'btn btn-secondary', testid: 'allowed-hosts-save' }, 'Save hosts');
  const hostsError = errorLine('allowed-hosts-error');
  const hostsSaved = h('p', { class: 'muted', role: 'status', testid: 'allowed-hosts-saved' });
  const hostsForm = h('form', null,
    h('div', { class: 'field' }, h('label', { for: 'allowed-hosts' }, 'One host or host:port per line'), hosts),
    h('div', { class: 'field field-button' }, saveHosts));
  async function loadHosts() {
    try {
      hosts.value = (await api.allowedHosts()).hosts.join('\n');
    } catch (err) {
      hostsError.set(`Could not load allowed hosts: ${err.message}`);
    }
  }
  hostsForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    hostsError.set('');
    hostsSaved.textContent = '';
    saveHosts.disabled = true;
    try {
      const list = hosts.value.split('\n').map((line) => line.trim()).filter(Boolean);
      hosts.value = (await api.setAllowedHosts(list)).hosts.join('\n');
      hostsSaved.textContent = 'Saved.';
    } catch (err) {
      hostsError.set(err.message);
    } finally {
      saveHosts.disabled = false;
    }
  });

  el.append(pageError.el,
    h('section', { class: 'card' }, h('h2', null, 'Set a secret'), form, formError.el, saved),
    h('section', { class: 'card' },
      h('h2', null, 'Secrets'),
      h('table', { class: 'table' },
        h('thead', null, h('tr', null,
          h('th', null, 'Name'), h('th', null, 'Updated'),
          h('th', null, h('span', { class: 'visually-hidden' }, 'Actions')))),
        body)),
    h('section', { class: 'card' },
      h('h2', null, 'Allowed private hosts'),
      h('p', { class: 'muted' },
        'Actions and webhooks only call public addresses. List hosts on your own network they may call.'),
      hostsForm, hostsError.el, hostsSaved));
  load();
  loadHosts();
  return { el };
}
