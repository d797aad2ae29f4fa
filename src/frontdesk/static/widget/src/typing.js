// "… is typing" both ways: shown for the AI and the team, announced for the visitor; and a
// model's reply while it is written (the draft), replaced by the stored reply when it comes.

const TYPING_RESEND_MS = 3000;
const TYPING_IDLE_MS = 2500;
const TYPING_EXPIRY_MS = 30000;

const withTyping = (Base) => class WidgetTyping extends Base {
  setTyping(author, typing, name) {
    const current = this.typists.get(author);
    if (current) clearTimeout(current.timer);
    if (typing) {
      // Expire on our own in case the "typing: false" frame is lost.
      const timer = setTimeout(() => this.setTyping(author, false), TYPING_EXPIRY_MS);
      this.typists.set(author, { name: name || (current && current.name), timer });
    } else {
      this.typists.delete(author);
      // The AI stopped writing: its draft ends here (the stored reply, if any, is shown).
      if (author === 'ai') this.clearDraft();
    }
    this.renderTyping();
  }

  // The whole draft so far, as text, in one bubble kept at the end of the log. Hidden from
  // screen readers: the log announces the finished reply, not every word of its draft.
  setDraft(text) {
    if (typeof text !== 'string' || !text) return this.clearDraft();
    const stick = this.nearEnd();
    if (!this.draft) {
      this.draft = h('div', {
        class: 'fd-msg', 'data-author': 'ai', 'data-state': 'draft', 'data-seq': '', 'aria-hidden': 'true',
      }, h('div', { class: 'fd-text' }));
    }
    this.draft.firstChild.textContent = text;
    if (this.draft !== this.ui.log.lastChild) this.ui.log.append(this.draft);
    if (stick) this.scrollToEnd();
  }

  clearDraft() {
    if (!this.draft) return;
    this.draft.remove();
    this.draft = null;
  }

  clearTyping() {
    for (const { timer } of this.typists.values()) clearTimeout(timer);
    this.typists.clear();
    this.renderTyping();
  }

  renderTyping() {
    const names = [];
    for (const [author, { name }] of this.typists) {
      names.push(name || (author === 'ai' ? this.agentName : 'Someone from our team'));
    }
    const stick = this.nearEnd();
    const verb = names.length > 1 ? 'are' : 'is';
    this.ui.typing.hidden = names.length === 0;
    this.ui.typingText.textContent = names.length ? `${names.join(' and ')} ${verb} typing\u2026` : '';
    if (stick) this.scrollToEnd();
  }

  notifyTyping() {
    if (!this.socketIsOpen()) return;
    const now = Date.now();
    if (now - this.typingSentAt > TYPING_RESEND_MS) {
      this.socketSend({ type: 'typing', typing: true });
      this.typingSentAt = now;
    }
    clearTimeout(this.typingIdleTimer);
    this.typingIdleTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    clearTimeout(this.typingIdleTimer);
    if (!this.typingSentAt) return;
    this.typingSentAt = 0;
    this.socketSend({ type: 'typing', typing: false });
  }
};
