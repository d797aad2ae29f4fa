// The <frontdesk-widget> element: its state, its shadow root, and its place on the page.
// Each with* part (one file each) adds the methods of one concern; the element joins them.

const CONFIG_WAIT_MS = 4000;

const WidgetParts = [
  withConfig, withPanel, withComposer, withDelivery, withConversation,
  withFeedback, withMessages, withForms, withTyping, withConnection,
].reduce((base, part) => part(base), HTMLElement);

class FrontdeskWidget extends WidgetParts {
  constructor() {
    super();
    this.key = null;
    this.config = null;
    this.configRequest = null;
    this.conv = null;           // {id, token, lastSeq}
    this.creating = null;       // in-flight conversation creation
    this.status = 'bot';
    this.lastSeq = 0;           // highest seq rendered on this page
    this.bySeq = new Map();     // seq -> .fd-msg element
    this.pending = new Map();   // client_id -> .fd-msg element
    this.pendingForm = null;    // name of the form waiting for the visitor's answer
    this.sendQueue = Promise.resolve();
    this.unread = 0;
    this.typists = new Map();   // author -> {name, timer}
    this.draft = null;          // the bubble of a model's reply being written
    this.socket = null;
    this.socketOpenedAt = 0;
    this.socketEverOpened = false; // for the current conversation
    this.reconnectAttempt = 0;
    this.reconnectTimer = null;
    this.catchingUp = false;
    this.lastCatchUp = 0;
    this.typingSentAt = 0;
    this.typingIdleTimer = null;
    this.wakers = new Set();
    this.listeners = null;
    this.started = false;
  }

  connectedCallback() {
    if (!this.shadowRoot) this.build();
    this.listenToWindow();
    if (!this.started) {
      this.started = true;
      this.start();
    } else if (this.conv) {
      this.connect();
    }
  }

  disconnectedCallback() {
    if (this.listeners) this.listeners.abort();
    this.listeners = null;
    this.disconnect();
  }

  build() {
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `<style>${STYLES}</style>${TEMPLATE}`;
    const $ = (selector) => root.querySelector(selector);
    this.ui = {
      root: $('.fd-root'), launcher: $('.fd-launcher'), badge: $('.fd-badge'),
      panel: $('.fd-panel'), avatar: $('.fd-avatar'), name: $('.fd-name'), sub: $('.fd-sub'),
      close: $('.fd-close'), log: $('.fd-log'), typing: $('.fd-typing'),
      typingText: $('.fd-typing-text'), status: $('.fd-status'), handoff: $('.fd-handoff'),
      error: $('.fd-error'), form: $('.fd-composer'), input: $('.fd-input'),
      send: $('.fd-send'), count: $('.fd-count'), csat: $('.fd-csat'),
      csatScores: $('.fd-csat-scores'), csatNote: $('.fd-csat-note'),
    };
    for (let score = 1; score <= 5; score += 1) {
      this.ui.csatScores.append(h('button', {
        type: 'button', class: 'fd-csat-score', 'data-score': String(score),
        'aria-pressed': 'false', 'aria-label': `${score} out of 5`,
      }, String(score)));
    }
    this.setConnection('closed');
    this.applyAgentName('Chat');
    this.renderStatus();
    this.bindUi();
  }

  bindUi() {
    const { launcher, close, form, input, handoff } = this.ui;
    launcher.addEventListener('click', () => (this.isOpen() ? this.close() : this.open()));
    close.addEventListener('click', () => this.close());
    handoff.addEventListener('click', () => this.requestHandoff());
    this.ui.csatScores.addEventListener('click', (event) => {
      const button = event.target.closest('.fd-csat-score');
      if (button) this.sendCsat(Number(button.getAttribute('data-score')));
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    input.addEventListener('keydown', (event) => {
      // keyCode 229: a keypress that belongs to an IME composition (e.g. Japanese input)
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        this.submit();
      }
    });
    input.addEventListener('input', () => this.onInput());
    this.shadowRoot.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.isOpen()) {
        event.stopPropagation();
        this.close();
      }
    });
  }

  listenToWindow() {
    if (this.listeners) return;
    this.listeners = new AbortController();
    const opts = { signal: this.listeners.signal };
    const revive = () => this.revive();
    window.addEventListener('online', revive, opts);
    window.addEventListener('pageshow', (event) => {
      if (event.persisted) revive(); // restored from the back/forward cache
    }, opts);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') revive();
    }, opts);
    // Another tab of the same site started the conversation: join it instead of making a second one.
    window.addEventListener('storage', (event) => {
      if (event.key === storage.key && !this.conv && !this.creating) this.resume();
    }, opts);
  }

  async start() {
    this.key = this.getAttribute('data-agent');
    const reveal = setTimeout(() => this.ui.root.setAttribute('data-ready', ''), CONFIG_WAIT_MS);
    await this.loadConfig();
    clearTimeout(reveal);
    this.ui.root.setAttribute('data-ready', '');
    await this.resume();
  }
}

customElements.define(TAG, FrontdeskWidget);

function mount() {
  if (document.querySelector(TAG)) return;
  const widget = document.createElement(TAG);
  widget.setAttribute('data-agent', publicKey);
  document.body.append(widget);
}

if (document.body) mount();
else document.addEventListener('DOMContentLoaded', mount, { once: true });
