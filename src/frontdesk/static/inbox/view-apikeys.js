// API keys page: list, create (the key is shown once), revoke.

import { api } from './api.js';
import { confirmButton, errorLine, h, secretBox } from './dom.js';
import { fullTime, isManager, relativeTime } from './format.js';

export function createApiKeysView({ session }) {
  const el = h('main', { class: 'page', 'aria-labelledby': 'apikeys-title' },
    h('header', { class: 'page-header' },
      h('h1', { id: 'apikeys-title' }, 'API keys'),
      h('p', { class: 'muted' },
        'Keys let your own systems call the Frontdesk API with admin rights. Send them as ',
        h('code', null, 'Authorization: Bearer …'), '.')));

  if (!isManager(session.member)) {
    el.append(h('section', { class: 'card' },
      h('p', { class: 'muted', testid: 'apikeys-forbidden' }, 'Only owners and admins can manage API keys.')));
    return { el };
  }

  const pageError = errorLine('apikeys-error');
  const body = h('tbody');

  function keyRow(key) {
    return h('tr', { testid: 'apikey-row', dataset: { id: key.id } },
      h('td', null, key.name),
      h('td', null, h('code', null, `${key.prefix}…`)),
      h('td', { class: 'muted', title: fullTime(key.created_at) }, relativeTime(key.created_at) || '—'),
      h('td', { class: 'muted', title: fullTime(key.last_used_at) },
        key.last_used_at ? relativeTime(key.last_used_at) : 'Never'),
      h('td', { class: 'cell-actions' }, confirmButton({
        label: 'Revoke',
        question: `Revoke "${key.name}"? Anything using it stops working.`,
        testid: 'apikey-revoke',
        onConfirm: async () => {
          pageError.set('');
          try {
            await api.revokeApiKey(key.id);
            await load();
          } catch (err) {
            pageError.set(err.message);
          }
        },
      })));
  }

  async function load() {
    try {
      const data = await api.apiKeys();
      const keys = Array.isArray(data) ? data : data.api_keys || [];
      body.replaceChildren(...keys.map(keyRow));
      if (!keys.length) body.append(h('tr', null, h('td', { colspan: '5', class: 'muted' }, 'No API keys yet.')));
    } catch (err) {
      pageError.set(`Could not load API keys: ${err.message}`);
    }
  }

  const name = h('input', {
    id: 'apikey-name', type: 'text', required: true, maxlength: '200', testid: 'apikey-name',
    placeholder: 'e.g. CRM sync', autocomplete: 'off',
  });
  const create = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'apikey-create' }, 'Create key');
  const formError = errorLine('apikey-form-error');
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  const form = h('form', { class: 'inline-form' },
    h('div', { class: 'field field-grow' }, h('label', { for: 'apikey-name' }, 'Name'), name),
    h('div', { class: 'field field-button' }, create));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.set('');
    result.replaceChildren();
    if (!name.value.trim()) {
      formError.set('Give the key a name so you can recognise it later.');
      name.focus();
      return;
    }
    create.disabled = true;
    try {
      const key = await api.createApiKey(name.value.trim());
      result.replaceChildren(
        h('p', { class: 'notice notice-warning', role: 'alert' },
          h('strong', null, 'Copy this key now. '),
          'It is shown only once and cannot be recovered; if you lose it, revoke it and create a new one.'),
        secretBox(key.key, 'apikey-value'));
      name.value = '';
      load();
    } catch (err) {
      formError.set(err.message);
    } finally {
      create.disabled = false;
    }
  });

  el.append(pageError.el,
    h('section', { class: 'card' }, h('h2', null, 'Create a key'), form, formError.el, result),
    h('section', { class: 'card' },
      h('h2', null, 'Keys'),
      h('table', { class: 'table' },
        h('thead', null, h('tr', null,
          h('th', null, 'Name'), h('th', null, 'Prefix'), h('th', null, 'Created'), h('th', null, 'Last used'),
          h('th', null, h('span', { class: 'visually-hidden' }, 'Actions')))),
        body)));
  load();
  return { el };
}
