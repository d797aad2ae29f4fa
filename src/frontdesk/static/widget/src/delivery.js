// Sending the visitor's messages in order, retried with the same client_id until stored.

const RETRY_NOTICE = 'Your message hasn\u2019t been delivered yet. Retrying\u2026';

const withDelivery = (Base) => class WidgetDelivery extends Base {
  send(text) {
    const clientId = uuid();
    const el = this.renderMessage({ author: 'visitor', text, seq: null, client_id: clientId });
    this.setDelivery(el, 'sending');
    this.pending.set(clientId, el);
    this.ui.log.append(el);
    this.scrollToEnd();
    // One at a time, so messages reach the server in the order they were typed.
    this.sendQueue = this.sendQueue
      .then(() => this.deliver(clientId, text))
      .catch((error) => console.error('[frontdesk]', error));
  }

  async deliver(clientId, text) {
    const post = (conv) => api('POST', `/conversations/${encodeURIComponent(conv.id)}/messages`,
      { token: conv.token, body: { text, client_id: clientId } });
    // The loop also ends when the socket delivers this message (matched by client_id) first.
    for (let attempt = 1; this.pending.has(clientId); attempt++) {
      try {
        this.acceptMessage(await this.withConversation(post), { live: false });
      } catch (error) {
        if (!error.retryable) {
          this.failMessage(clientId, error);
          break;
        }
        if (attempt >= 2) {
          this.setDelivery(this.pending.get(clientId), 'retrying');
          this.showError(RETRY_NOTICE, 'retry');
        }
        // Same client_id on every attempt: the server stores the message only once.
        await this.sleep(backoffDelay(attempt));
      }
    }
    if (this.ui.error.dataset.kind === 'retry') this.showError(null);
  }

  failMessage(clientId, error) {
    const el = this.pending.get(clientId);
    this.pending.delete(clientId);
    this.showError(error.message);
    if (!el) return;
    const input = this.ui.input;
    if (!input.value) {
      // Give the text back so the visitor can fix it (e.g. shorten it) and send again.
      input.value = el.querySelector('.fd-text').textContent;
      el.remove();
      this.onInput();
    } else {
      this.setDelivery(el, 'failed');
    }
  }

  setDelivery(el, state) {
    if (!el) return;
    const labels = { sending: 'Sending\u2026', retrying: 'Waiting for connection\u2026', failed: 'Not sent' };
    let note = el.querySelector('.fd-note');
    if (state === 'sent') {
      el.removeAttribute('data-state');
      if (note) note.remove();
      return;
    }
    el.setAttribute('data-state', state);
    if (!note) {
      note = h('div', { class: 'fd-note' });
      el.append(note);
    }
    note.textContent = labels[state];
  }

  // Sleeps that end early when the browser reports it is back online.
  sleep(ms) {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }
};
