// Thumbs on AI answers and the 1-5 rating once the conversation is closed.

const THUMB_UP = [
  'M7 10v12',
  'M15 5.88 14 10h5.83a2 2 0 0 1 1.92 2.56l-2.33 8A2 2 0 0 1 17.5 22H4a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2h2.76a2 2 0 0 0 1.79-1.11L12 2a3.13 3.13 0 0 1 3 3.88Z',
];
const THUMB_DOWN = [
  'M17 14V2',
  'M9 18.12 10 14H4.17a2 2 0 0 1-1.92-2.56l2.33-8A2 2 0 0 1 6.5 2H20a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2h-2.76a2 2 0 0 0-1.79 1.11L12 22a3.13 3.13 0 0 1-3-3.88Z',
];

const withFeedback = (Base) => class WidgetFeedback extends Base {
  renderCsat() {
    const { csat, csatScores, csatNote } = this.ui;
    const closed = this.status === 'closed' && Boolean(this.conv);
    if (!closed) {
      // A new message reopens the conversation; its next close asks again.
      this.csatScore = null;
      csatNote.textContent = '';
    }
    csat.hidden = !closed;
    for (const button of csatScores.children) {
      button.setAttribute('aria-pressed', String(Number(button.getAttribute('data-score')) === this.csatScore));
    }
  }

  async sendCsat(score) {
    if (!this.conv || this.status !== 'closed' || this.csatBusy) return;
    this.csatBusy = true;
    this.showError(null);
    try {
      await api('POST', `/conversations/${encodeURIComponent(this.conv.id)}/csat`,
        { body: { score }, token: this.conv.token });
      const stick = this.nearEnd();
      this.csatScore = score;
      this.renderCsat();
      this.ui.csatNote.textContent = 'Thanks for your feedback!';
      if (stick) this.scrollToEnd();
    } catch (error) {
      this.showError(error.message);
    } finally {
      this.csatBusy = false;
    }
  }

  renderRating(message) {
    const row = h('div', { class: 'fd-rate', role: 'group', 'aria-label': 'Rate this answer' });
    const choices = [['up', THUMB_UP, 'Helpful'], ['down', THUMB_DOWN, 'Not helpful']];
    for (const [rating, icon, label] of choices) {
      const button = h('button', {
        type: 'button', class: 'fd-rate-btn', 'data-rating': rating, 'aria-label': label,
        title: label, 'aria-pressed': String(message.feedback === rating),
      }, svgIcon(...icon));
      button.addEventListener('click', () => this.rate(row, message.seq, rating));
      row.append(button);
    }
    return row;
  }

  async rate(row, seq, rating) {
    if (!this.conv || row.getAttribute('aria-busy') === 'true') return;
    const pressed = row.querySelector(`[data-rating="${rating}"]`).getAttribute('aria-pressed') === 'true';
    row.setAttribute('aria-busy', 'true');
    this.showError(null);
    try {
      const data = await api('POST',
        `/conversations/${encodeURIComponent(this.conv.id)}/messages/${seq}/feedback`,
        { body: { rating: pressed ? null : rating }, token: this.conv.token });
      for (const button of row.children) {
        button.setAttribute('aria-pressed', String(button.getAttribute('data-rating') === data.feedback));
      }
    } catch (error) {
      this.showError(error.message);
    } finally {
      row.removeAttribute('aria-busy');
    }
  }
};
