// Alerts page: my own email alerts (everyone), and the workspace's webhooks (admins): add one
// (the signing secret is shown once), pause, test, delete, and read its delivery log; what
// failed for good, to retry (admins).

import { api } from './api.js';
import './dead-letters.js';
import { confirmButton, errorLine, h, secretBox } from './dom.js';
import { fullTime, isManager, relativeTime } from './format.js';

const EVENTS = [
  ['conversation.waiting', 'A conversation starts waiting for a person'],
  ['conversation.closed', 'A conversation is closed'],
  ['message.created', 'Every message (visitor, AI, team, notes)'],
  ['action.submitted', 'A visitor submits a form or action'],
];

function emailCard() {
  const toggle = h('input', { type: 'checkbox', id: 'email-alerts', testid: 'email-alerts-toggle', disabled: true });
  const note = h('p', { class: 'hint', testid: 'email-alerts-note', hidden: true });
  const error = errorLine('email-alerts-error');
  toggle.addEventListener('change', async () => {
    error.set('');
    toggle.disabled = true;
    try {
      const prefs = await api.setAlertPreferences({ email_alerts: toggle.checked });
      toggle.checked = prefs.email_alerts;
    } catch (err) {
      toggle.checked = !toggle.checked;
      error.set(err.message);
    } finally {
      toggle.disabled = false;
    }
  });
  api.alertPreferences().then((prefs) => {
    toggle.checked = prefs.email_alerts;
    toggle.disabled = false;
    if (!prefs.email_configured) {
      note.textContent = 'Email is not set up on this server yet (FRONTDESK_SMTP_HOST), so none is sent.';
      note.hidden = false;
    }
  }).catch((err) => error.set(`Could not load your alert settings: ${err.message}`));
  return h('section', { class: 'card' },
    h('h2', null, 'Email'),
    h('label', { class: 'check', for: 'email-alerts' }, toggle,
      ' Email me when a conversation starts waiting for a person'),
    note, error.el);
}

function deliveryStatus(delivery) {
  return h('span', { class: `badge badge-delivery-${delivery.status}`, testid: 'delivery-status' },
    delivery.status);
}

function lastResult(delivery) {
  if (delivery.status === 'delivered') return `HTTP ${delivery.last_status_code}`;
  const parts = [];
  if (delivery.last_error) parts.push(delivery.last_error);
  if (delivery.status === 'pending' && delivery.next_attempt_at) {
    parts.push(`next try ${relativeTime(delivery.next_attempt_at) === 'now' ? 'now' : fullTime(delivery.next_attempt_at)}`);
  }
  return parts.join(' · ') || '—';
}

function deliveriesPanel(hook, onError) {
  const body = h('tbody');
  const panel = h('div', { class: 'deliveries', testid: 'webhook-deliveries' },
    h('table', { class: 'table table-compact' },
      h('thead', null, h('tr', null,
        h('th', null, 'Event'), h('th', null, 'Status'), h('th', null, 'Attempts'),
        h('th', null, 'Last result'), h('th', null, 'Sent'),
        h('th', null, h('span', { class: 'visually-hidden' }, 'Actions')))),
      body));

  function row(delivery) {
    const resend = delivery.status === 'pending' ? null : h('button', {
      type: 'button', class: 'btn btn-ghost btn-small', testid: 'delivery-resend',
    }, 'Resend');
    if (resend) {
      resend.addEventListener('click', async () => {
        resend.disabled = true;
        try {
          await api.resendDelivery(hook.id, delivery.id);
          await load();
        } catch (err) {
          onError(err.message);
          resend.disabled = false;
        }
      });
    }
    const attempts = (delivery.attempt_log || []).map((a) =>
      `#${a.number}: ${a.ok ? `HTTP ${a.status_code}` : a.error || `HTTP ${a.status_code}`} (${a.duration_ms} ms)`);
    return h('tr', { testid: 'delivery-row', dataset: { id: delivery.id } },
      h('td', null, h('code', null, delivery.event_type)),
      h('td', null, deliveryStatus(delivery)),
      h('td', { title: attempts.join('\n') }, String(delivery.attempts)),
      h('td', { class: 'delivery-result' }, lastResult(delivery)),
      h('td', { class: 'muted', title: fullTime(delivery.created_at) }, relativeTime(delivery.created_at)),
      h('td', { class: 'cell-actions' }, resend));
  }

  async function load() {
    try {
      const data = await api.webhookDeliveries(hook.id);
      const deliveries = data.deliveries || [];
      body.replaceChildren(...deliveries.map(row));
      if (!deliveries.length) {
        body.append(h('tr', null, h('td', { colspan: '6', class: 'muted' }, 'Nothing sent yet.')));
      }
    } catch (err) {
      onError(`Could not load deliveries: ${err.message}`);
    }
  }

  load();
  return { el: panel, load };
}

export function createWebhooksView({ session }) {
  const el = h('main', { class: 'page', 'aria-labelledby': 'alerts-title' },
    h('header', { class: 'page-header' },
      h('h1', { id: 'alerts-title' }, 'Alerts'),
      h('p', { class: 'muted' }, 'Make sure someone notices when a visitor is waiting.')),
    emailCard());

  if (!isManager(session.member)) {
    el.append(h('section', { class: 'card' },
      h('h2', null, 'Webhooks'),
      h('p', { class: 'muted', testid: 'webhooks-forbidden' }, 'Only owners and admins can manage webhooks.')));
    return { el };
  }

  const pageError = errorLine('webhooks-error');
  const list = h('tbody');
  // Ids whose delivery log is open, so a reload (after pause, delete…) keeps it open.
  const expanded = new Set();

  function hookRow(hook) {
    const toggle = h('button', { type: 'button', class: 'btn btn-secondary btn-small', testid: 'webhook-toggle' },
      hook.active ? 'Pause' : 'Activate');
    toggle.addEventListener('click', async () => {
      pageError.set('');
      toggle.disabled = true;
      try {
        await api.updateWebhook(hook.id, { active: !hook.active });
        await load();
      } catch (err) {
        pageError.set(err.message);
        toggle.disabled = false;
      }
    });
    const test = h('button', { type: 'button', class: 'btn btn-ghost btn-small', testid: 'webhook-test', disabled: !hook.active },
      'Send test');
    const detailsRow = h('tr', { class: 'deliveries-row', hidden: true },
      h('td', { colspan: '4' }));
    const showLog = h('button', {
      type: 'button', class: 'btn btn-ghost btn-small', testid: 'webhook-deliveries-toggle', 'aria-expanded': 'false',
    }, 'Deliveries');
    let panel = null;
    function openLog() {
      if (panel) {
        panel.load();
      } else {
        panel = deliveriesPanel(hook, (message) => pageError.set(message));
        detailsRow.firstChild.replaceChildren(panel.el);
      }
      detailsRow.hidden = false;
      showLog.setAttribute('aria-expanded', 'true');
      expanded.add(hook.id);
    }
    showLog.addEventListener('click', () => {
      if (!detailsRow.hidden) {
        detailsRow.hidden = true;
        showLog.setAttribute('aria-expanded', 'false');
        expanded.delete(hook.id);
        return;
      }
      openLog();
    });
    if (expanded.has(hook.id)) openLog();
    test.addEventListener('click', async () => {
      pageError.set('');
      test.disabled = true;
      try {
        await api.testWebhook(hook.id);
        openLog();
        // The ping is sent in the background; look again once it has had time to land.
        setTimeout(() => { if (panel && panel.el.isConnected) panel.load(); }, 1500);
      } catch (err) {
        pageError.set(err.message);
      } finally {
        test.disabled = !hook.active;
      }
    });
    const remove = confirmButton({
      label: 'Delete',
      question: 'Delete this webhook and its delivery log?',
      testid: 'webhook-delete',
      onConfirm: async () => {
        pageError.set('');
        try {
          await api.deleteWebhook(hook.id);
          expanded.delete(hook.id);
          await load();
        } catch (err) {
          pageError.set(err.message);
        }
      },
    });
    const main = h('tr', { testid: 'webhook-row', dataset: { id: hook.id, active: String(hook.active) } },
      h('td', null,
        h('code', { class: 'webhook-url' }, hook.url),
        hook.description ? h('div', { class: 'muted small' }, hook.description) : null),
      h('td', { class: 'small' }, hook.events.join(', ')),
      h('td', null, h('span', { class: `badge ${hook.active ? 'badge-delivery-delivered' : 'badge-closed'}`, testid: 'webhook-state' },
        hook.active ? 'Active' : 'Paused')),
      h('td', { class: 'cell-actions' }, toggle, test, showLog, remove));
    return [main, detailsRow];
  }

  async function load() {
    try {
      const data = await api.webhooks();
      const hooks = data.webhooks || [];
      list.replaceChildren(...hooks.flatMap(hookRow));
      if (!hooks.length) list.append(h('tr', null, h('td', { colspan: '4', class: 'muted' }, 'No webhooks yet.')));
    } catch (err) {
      pageError.set(`Could not load webhooks: ${err.message}`);
    }
  }

  // ---- add a webhook --------------------------------------------------------------------
  const url = h('input', {
    id: 'webhook-url', type: 'text', inputmode: 'url', required: true, maxlength: '2000', testid: 'webhook-url',
    placeholder: 'https://example.com/hooks/frontdesk', autocomplete: 'off',
  });
  const description = h('input', {
    id: 'webhook-description', type: 'text', maxlength: '500', testid: 'webhook-description',
    placeholder: 'e.g. CRM, on-call pager', autocomplete: 'off',
  });
  const boxes = EVENTS.map(([name, label]) => {
    const box = h('input', { type: 'checkbox', value: name, testid: `webhook-event-${name}`, checked: name === 'conversation.waiting' });
    return { box, el: h('label', { class: 'check' }, box, ' ', h('code', null, name), h('span', { class: 'muted' }, ` — ${label}`)) };
  });
  const create = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'webhook-create' }, 'Add webhook');
  const formError = errorLine('webhook-form-error');
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  const form = h('form', { class: 'webhook-form' },
    h('div', { class: 'inline-form' },
      h('div', { class: 'field field-grow' }, h('label', { for: 'webhook-url' }, 'Endpoint URL'), url),
      h('div', { class: 'field field-grow' }, h('label', { for: 'webhook-description' }, 'Description (optional)'), description)),
    h('fieldset', { class: 'checks' }, h('legend', null, 'Send these events'), boxes.map((b) => b.el)),
    h('div', null, create));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.set('');
    result.replaceChildren();
    const events = boxes.filter((b) => b.box.checked).map((b) => b.box.value);
    if (!url.value.trim()) {
      formError.set('Enter the URL Frontdesk should POST events to.');
      url.focus();
      return;
    }
    if (!events.length) {
      formError.set('Choose at least one event.');
      return;
    }
    create.disabled = true;
    try {
      const hook = await api.createWebhook({
        url: url.value.trim(), events, description: description.value.trim() || null,
      });
      result.replaceChildren(
        h('p', { class: 'notice notice-warning', role: 'alert' },
          h('strong', null, 'Copy the signing secret now. '),
          'It is shown only once. Your endpoint uses it to check the webhook-signature header.'),
        secretBox(hook.secret, 'webhook-secret'));
      url.value = '';
      description.value = '';
      load();
    } catch (err) {
      formError.set(err.message);
    } finally {
      create.disabled = false;
    }
  });

  el.append(pageError.el,
    h('section', { class: 'card' },
      h('h2', null, 'Add a webhook'),
      h('p', { class: 'muted small' },
        'Frontdesk POSTs JSON to your URL, signed as Standard Webhooks describe, and retries for about a day if it fails.'),
      form, formError.el, result),
    h('section', { class: 'card' },
      h('h2', null, 'Webhooks'),
      h('table', { class: 'table' },
        h('thead', null, h('tr', null,
          h('th', null, 'Endpoint'), h('th', null, 'Events'), h('th', null, 'State'),
          h('th', null, h('span', { class: 'visually-hidden' }, 'Actions')))),
        list)),
    h('fd-dead-letters'));
  load();
  return { el };
}
