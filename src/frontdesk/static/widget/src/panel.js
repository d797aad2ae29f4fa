// Opening and closing the panel, the unread badge, the error line, the connection state.

const withPanel = (Base) => class WidgetPanel extends Base {
  isOpen() {
    return this.ui.panel.getAttribute('data-open') === 'true';
  }

  open() {
    const { panel, launcher, input } = this.ui;
    panel.setAttribute('data-open', 'true');
    launcher.setAttribute('aria-expanded', 'true');
    this.setUnread(0);
    this.scrollToEnd();
    input.focus();
    if (!this.config) this.loadConfig();
  }

  close() {
    const { panel, launcher } = this.ui;
    panel.setAttribute('data-open', 'false');
    launcher.setAttribute('aria-expanded', 'false');
    this.stopTyping();
    launcher.focus();
  }

  setUnread(count) {
    this.unread = count;
    this.ui.badge.textContent = count > 9 ? '9+' : String(count);
    this.ui.badge.hidden = count === 0;
  }

  showError(message, kind) {
    const el = this.ui.error;
    el.textContent = message || '';
    el.hidden = !message;
    if (message && kind) el.dataset.kind = kind;
    else delete el.dataset.kind;
  }

  setConnection(state) {
    this.setAttribute('data-connection', state);
  }
};
