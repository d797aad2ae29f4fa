// The visitor's conversation: resume or create it, start over when its token is refused,
// its status (bot, waiting, human, closed) and the handoff button.

const WAITING_NOTICE = 'Connecting you with a person\u2026';

const withConversation = (Base) => class WidgetConversation extends Base {
  async resume() {
    const saved = storage.load();
    if (!saved) return;
    this.conv = { id: saved.id, token: saved.visitor_token, lastSeq: Number(saved.last_seq) || 0 };
    this.setConnection('connecting');
    try {
      await this.fetchMessages(0, { live: false });
    } catch (error) {
      if (error.tokenRejected) return this.forgetConversation();
      // Network trouble: nothing is shown yet, so the socket (after=0) replays the whole history.
    }
    this.connect();
  }

  async fetchMessages(after, { live }) {
    const conv = this.conv;
    const data = await api('GET', `/conversations/${encodeURIComponent(conv.id)}/messages?after=${after}`,
      { token: conv.token });
    if (this.conv !== conv || !data) return;
    if ('pending_form' in data) this.pendingForm = data.pending_form;
    for (const message of data.messages || []) this.acceptMessage(message, { live });
    if ('pending_form' in data) this.setPendingForm(data.pending_form);
    if (data.status) this.setStatus(data.status);
    // A rating given before a reload stays shown (and can still be changed).
    if (this.status === 'closed' && data.csat_score && this.csatScore !== data.csat_score) {
      this.csatScore = data.csat_score;
      this.renderCsat();
      this.ui.csatNote.textContent = 'Thanks for your feedback!';
    }
  }

  ensureConversation() {
    if (this.conv) return Promise.resolve(this.conv);
    if (!this.creating) {
      this.creating = this.createConversation().finally(() => { this.creating = null; });
    }
    return this.creating;
  }

  async createConversation() {
    const data = await api('POST', `/${encodeURIComponent(this.key)}/conversations`,
      { body: { page_url: location.href, referrer: document.referrer || null, timezone: visitorTimeZone() } });
    this.conv = { id: data.id, token: data.visitor_token, lastSeq: 0 };
    storage.save(this.conv);
    this.connect();
    return this.conv;
  }

  // Runs request(conv). If the server no longer knows the conversation (revoked token, deleted
  // conversation), starts a new one and runs the request once more there.
  async withConversation(request) {
    const conv = await this.ensureConversation();
    try {
      return await request(conv);
    } catch (error) {
      if (!error.tokenRejected) throw error;
      if (this.conv === conv) this.forgetConversation();
      return request(await this.ensureConversation());
    }
  }

  forgetConversation() {
    storage.clear();
    this.conv = null;
    this.disconnect();
    // Seqs restart in a new conversation, so the old messages cannot stay in the seq index.
    for (const el of this.bySeq.values()) el.remove();
    this.bySeq.clear();
    this.lastSeq = 0;
    this.socketEverOpened = false;
    this.clearTyping();
    this.setStatus('bot');
  }

  setStatus(status) {
    this.status = status;
    this.renderStatus();
  }

  renderStatus() {
    const { status, handoff, sub } = this.ui;
    // The notice and the rating card take room from the log: its last message stays in view.
    const stick = this.nearEnd();
    const waiting = this.status === 'waiting';
    status.textContent = waiting ? WAITING_NOTICE : '';
    status.hidden = !waiting;
    // After closing, asking for a person waits until the visitor writes again (which reopens).
    handoff.hidden = ['waiting', 'human', 'closed'].includes(this.status);
    this.renderCsat();
    if (stick) this.scrollToEnd();
    sub.textContent = {
      waiting: 'A person will join shortly',
      human: 'You\u2019re chatting with our team',
      closed: 'This conversation has ended',
    }[this.status] || 'We usually reply in a few seconds';
  }

  async requestHandoff() {
    const button = this.ui.handoff;
    if (button.disabled) return;
    button.disabled = true;
    this.showError(null);
    try {
      const data = await this.withConversation((conv) =>
        api('POST', `/conversations/${encodeURIComponent(conv.id)}/handoff`, { token: conv.token }));
      if (data && data.status) this.setStatus(data.status);
    } catch (error) {
      this.showError(error.message);
    } finally {
      button.disabled = false;
    }
  }
};

// The visitor's IANA time zone ("Europe/Berlin"), so the team sees their local time.
function visitorTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}
