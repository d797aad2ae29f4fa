// The agent's public settings (name, colour, side, greeting) and how they are shown.

const withConfig = (Base) => class WidgetConfig extends Base {
  loadConfig() {
    if (!this.configRequest) {
      this.configRequest = this.fetchConfig().finally(() => { this.configRequest = null; });
    }
    return this.configRequest;
  }

  async fetchConfig() {
    try {
      const config = await api('GET', `/${encodeURIComponent(this.key)}/config`);
      this.config = config || {};
      this.applyConfig(this.config);
      if (this.ui.error.dataset.kind === 'config') this.showError(null);
    } catch (error) {
      this.showError('Chat is unavailable right now. Please try again later.', 'config');
    }
  }

  applyConfig(config) {
    this.applyAgentName(String(config.agent_name || 'Chat'));
    this.ui.root.setAttribute('data-position', config.position === 'left' ? 'left' : 'right');
    this.applyThemeColor(config.theme_color);
    this.renderGreeting(config.greeting);
  }

  applyAgentName(name) {
    this.agentName = name;
    this.ui.name.textContent = name;
    this.ui.avatar.textContent = name.trim().charAt(0).toUpperCase();
    this.ui.panel.setAttribute('aria-label', `Chat with ${name}`);
  }

  applyThemeColor(color) {
    if (typeof color !== 'string' || !window.CSS || !CSS.supports('color', color)) return;
    const style = this.ui.root.style;
    style.setProperty('--fd-accent', color);
    style.setProperty('--fd-on-accent', this.isLight(color) ? '#111827' : '#ffffff');
  }

  // Reads back any CSS colour syntax as rgb() through computed style.
  isLight(color) {
    const probe = h('span', { hidden: true });
    probe.style.color = color;
    this.ui.root.append(probe);
    const rgb = (getComputedStyle(probe).color.match(/[\d.]+/g) || []).map(Number);
    probe.remove();
    if (rgb.length < 3) return false;
    const [r, g, b] = rgb.slice(0, 3).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    // Above this relative luminance dark text has more contrast than white (WCAG formula).
    return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179;
  }

  renderGreeting(text) {
    const log = this.ui.log;
    const existing = log.querySelector('.fd-greeting');
    if (existing) existing.remove();
    if (!text) return;
    const el = h('div', { class: 'fd-msg fd-greeting', 'data-author': 'ai', 'data-seq': '0' },
      h('div', { class: 'fd-text' }, String(text)));
    log.prepend(el);
  }
};
