// <fd-dead-letters>: webhooks, emails and HTTP actions whose retries ran out (admins), each
// with its last error and a Retry button. Text only: nothing from the server is parsed as HTML.

import { api } from './api.js';
import { errorLine, h } from './dom.js';
import { fullTime, relativeTime } from './format.js';

const KINDS = { webhook: 'Webhook', email: 'Email', action: 'HTTP action' };

class DeadLetters extends HTMLElement {
  connectedCallback() {
    if (this.body) return;
    this.error = errorLine('dead-letters-error');
    this.body = h('tbody');
    this.append(h('section', { class: 'card' },
      h('h2', null, 'Failed sends'),
      h('p', { class: 'muted small' },
        'Webhooks, alert emails and form follow-up actions that failed for good: refused, or still ',
        'failing after every retry. Fix the cause (the endpoint, the mail server, the action), then retry.'),
      this.error.el,
      h('table', { class: 'table', testid: 'dead-letters' },
        h('thead', null, h('tr', null,
          h('th', null, 'Kind'), h('th', null, 'What'), h('th', null, 'To'), h('th', null, 'Attempts'),
          h('th', null, 'Last error'), h('th', null, 'Failed'),
          h('th', null, h('span', { class: 'visually-hidden' }, 'Actions')))),
        this.body)));
    this.load();
  }

  async load() {
    try {
      const letters = (await api.deadLetters()).dead_letters || [];
      this.body.replaceChildren(...letters.map((letter) => this.row(letter)));
      if (!letters.length) {
        this.body.append(h('tr', null,
          h('td', { colspan: '7', class: 'muted', testid: 'dead-letters-empty' }, 'Nothing failed.')));
      }
    } catch (err) {
      this.error.set(`Could not load failed sends: ${err.message}`);
    }
  }

  row(letter) {
    const retry = h('button', { type: 'button', class: 'btn btn-secondary btn-small', testid: 'dead-letter-retry' },
      'Retry');
    retry.addEventListener('click', async () => {
      this.error.set('');
      retry.disabled = true;
      try {
        await api.retryDeadLetter(letter);
        retry.textContent = 'Retrying…';
        // Sent in the background; look again once it has had time to land.
        setTimeout(() => { if (this.isConnected) this.load(); }, 1500);
      } catch (err) {
        this.error.set(err.message);
        retry.disabled = false;
      }
    });
    const what = letter.conversation_id
      ? [h('code', null, letter.what), ' ',
        h('a', { href: `#/inbox/${encodeURIComponent(letter.conversation_id)}`, class: 'small' }, 'conversation')]
      : h('code', null, letter.what);
    return h('tr', { testid: 'dead-letter-row', dataset: { id: letter.id, kind: letter.kind } },
      h('td', null, h('span', { class: 'badge badge-delivery-failed' }, KINDS[letter.kind] || letter.kind)),
      h('td', null, what),
      h('td', { class: 'dead-letter-to' }, h('code', null, letter.destination)),
      h('td', null, String(letter.attempts)),
      h('td', { class: 'delivery-result', testid: 'dead-letter-error' }, letter.last_error || '—'),
      h('td', { class: 'muted', title: fullTime(letter.failed_at) }, relativeTime(letter.failed_at) || '—'),
      h('td', { class: 'cell-actions' }, retry));
  }
}

if (!customElements.get('fd-dead-letters')) customElements.define('fd-dead-letters', DeadLetters);
