// The message log: each message shown once, in seq order, as text; sources and times.

const AUTHORS = ['visitor', 'ai', 'member'];

const withMessages = (Base) => class WidgetMessages extends Base {
  acceptMessage(message, { live }) {
    if (!message || typeof message.seq !== 'number' || this.bySeq.has(message.seq)) return;
    const own = message.client_id ? this.pending.get(message.client_id) : null;
    const el = own || this.renderMessage(message);
    if (own) {
      this.pending.delete(message.client_id);
      el.setAttribute('data-seq', String(message.seq));
      this.setDelivery(el, 'sent');
      this.setTimestamp(el, message.created_at);
    }
    const stick = own || this.nearEnd();
    this.bySeq.set(message.seq, el);
    this.placeBySeq(el, message.seq);
    this.noteSeq(message.seq);
    if (message.author === 'ai' || message.author === 'member') {
      this.setTyping(message.author, false);
      if (live && !this.isOpen()) this.setUnread(this.unread + 1);
    }
    if (stick) this.scrollToEnd();
  }

  noteSeq(seq) {
    if (seq <= this.lastSeq) return;
    this.lastSeq = seq;
    if (this.conv) {
      this.conv.lastSeq = Math.max(this.conv.lastSeq, seq);
      storage.save(this.conv);
    }
  }

  // Confirmed messages are kept in seq order; pending ones (empty data-seq) stay at the end.
  placeBySeq(el, seq) {
    for (const node of this.ui.log.children) {
      if (node === el) continue;
      const other = node.getAttribute('data-seq');
      if (other === '' || Number(other) > seq) {
        this.ui.log.insertBefore(el, node);
        return;
      }
    }
    this.ui.log.append(el);
  }

  renderMessage(message) {
    const author = AUTHORS.includes(message.author) ? message.author : 'system';
    const el = h('div', {
      class: 'fd-msg',
      'data-author': author,
      'data-seq': message.seq == null ? '' : String(message.seq),
    });
    if (author === 'member') el.append(h('div', { class: 'fd-author' }, message.author_name || 'Support team'));
    el.append(h('div', { class: 'fd-text' }, String(message.text == null ? '' : message.text)));
    const form = message.event === 'form' && message.payload && message.payload.form;
    if (author === 'ai' && form && typeof form.name === 'string') {
      el.setAttribute('data-kind', 'form');
      el.append(this.renderForm(form));
    }
    if (author === 'ai' && Array.isArray(message.citations) && message.citations.length) {
      el.append(this.renderCitations(message.citations));
    }
    // Answers only: the handoff message, notices and forms are not rated.
    if (author === 'ai' && typeof message.seq === 'number' && message.rateable === true) {
      el.append(this.renderRating(message));
    }
    this.setTimestamp(el, message.created_at);
    return el;
  }

  // The visitor sees each source once, by its label (document title and section or page,
  // never a file or internal name), linked when it has a web address; text, never HTML.
  renderCitations(citations) {
    const list = h('ul', { class: 'fd-cites', 'aria-label': 'Sources' });
    const seen = new Set();
    for (const cite of citations) {
      if (!cite) continue;
      const url = httpUrl(cite.url);
      const text = String(cite.label || 'Source');
      const id = `${text}\n${url}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const label = url
        ? h('a', { class: 'fd-cite', href: url, target: '_blank', rel: 'noopener noreferrer' }, text)
        : h('span', { class: 'fd-cite-label' }, text);
      list.append(h('li', { 'data-linked': Boolean(url) }, label));
    }
    return list;
  }

  setTimestamp(el, iso) {
    const time = formatTime(iso);
    if (time) el.querySelector('.fd-text').title = time;
  }

  nearEnd() {
    const log = this.ui.log;
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }

  scrollToEnd() {
    const log = this.ui.log;
    log.scrollTop = log.scrollHeight;
  }
};
