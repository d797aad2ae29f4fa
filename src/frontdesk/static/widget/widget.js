/* Frontdesk chat widget.
 *
 * Embed with:
 *   <script src="https://your-frontdesk-server/widget.js" data-agent="PUBLIC_KEY" async></script>
 *
 * A single classic script, no dependencies. It defines <frontdesk-widget>, renders into an
 * open shadow root and talks to the server the script was loaded from (see docs/live-api.md).
 */
(function () {
  'use strict';

  // Must be read synchronously: currentScript is null once this first run has finished.
  const script = document.currentScript ||
    document.querySelector('script[data-agent][src*="widget.js"]');

  const TAG = 'frontdesk-widget';
  const MAX_LENGTH = 4000;
  const RECONNECT_MIN_MS = 500;
  const RECONNECT_MAX_MS = 10000;
  const STABLE_SOCKET_MS = 2000;
  const TYPING_RESEND_MS = 3000;
  const TYPING_IDLE_MS = 2500;
  const TYPING_EXPIRY_MS = 30000;
  const CONFIG_WAIT_MS = 4000;
  const CATCH_UP_EVERY_MS = 15000;
  const COUNTER_FROM = MAX_LENGTH - 400;
  const DEFAULT_ACCENT = '#1f5fbf';
  const AUTHORS = ['visitor', 'ai', 'member'];
  const WAITING_NOTICE = 'Connecting you with a person\u2026';
  const RETRY_NOTICE = 'Your message hasn\u2019t been delivered yet. Retrying\u2026';
  const RETRYABLE_STATUS = [0, 408, 429, 500, 502, 503, 504]; // 0 = network failure

  if (!window.customElements || !script || customElements.get(TAG)) return;

  const publicKey = script.getAttribute('data-agent');
  if (!publicKey) {
    console.warn('[frontdesk] widget.js needs a data-agent="PUBLIC_KEY" attribute.');
    return;
  }
  const serverOrigin = new URL(script.src, location.href).origin;

  // ---------------------------------------------------------------- helpers

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value != null && value !== false) el.setAttribute(name, value === true ? '' : value);
    }
    // Strings become text nodes, so message data can never be parsed as HTML.
    for (const child of children) {
      if (child != null) el.append(child);
    }
    return el;
  }

  // A datetime-local value is the visitor's wall clock; the offset says which one.
  function withOffset(value) {
    const when = new Date(value);
    if (!value || Number.isNaN(when.getTime())) return value;
    const minutes = -when.getTimezoneOffset();
    const sign = minutes >= 0 ? '+' : '-';
    const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, '0');
    return `${value.slice(0, 16)}${sign}${pad(minutes / 60)}:${pad(minutes % 60)}`;
  }

  function uuid() {
    const c = window.crypto;
    if (c && typeof c.randomUUID === 'function') return c.randomUUID();
    const bytes = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(bytes);
    else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function backoffDelay(attempt) {
    return Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** Math.max(0, attempt - 1));
  }

  function httpUrl(value) {
    if (typeof value !== 'string' || !value) return null;
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function formatTime(iso) {
    const date = iso ? new Date(iso) : null;
    return date && !isNaN(date) ? date.toLocaleString() : null;
  }

  // localStorage can throw (disabled storage, sandboxed frames, quota); chat still works without it.
  const storage = {
    key: `frontdesk:${publicKey}`,
    load() {
      try {
        const data = JSON.parse(localStorage.getItem(this.key) || 'null');
        if (data && typeof data.id === 'string' && typeof data.visitor_token === 'string') return data;
      } catch (_) { /* unavailable or corrupt */ }
      return null;
    },
    save(conv) {
      try {
        localStorage.setItem(this.key, JSON.stringify({
          id: conv.id, visitor_token: conv.token, last_seq: conv.lastSeq,
        }));
      } catch (_) { /* unavailable */ }
    },
    clear() {
      try { localStorage.removeItem(this.key); } catch (_) { /* unavailable */ }
    },
  };

  // ---------------------------------------------------------------- HTTP

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
    get retryable() {
      return RETRYABLE_STATUS.includes(this.status);
    }
    get tokenRejected() {
      return this.status === 401 || this.status === 404;
    }
  }

  async function api(method, path, { body, token } = {}) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers['X-Visitor-Token'] = token;
    let response;
    try {
      response = await fetch(`${serverOrigin}/api/v1/widget${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (_) {
      throw new ApiError(0, 'network', 'Can\u2019t reach the chat service. Check your connection.');
    }
    let data = null;
    try { data = await response.json(); } catch (_) { /* empty or not JSON */ }
    if (!response.ok) {
      const error = (data && data.error) || {};
      const failure = new ApiError(response.status, error.code || 'http_error',
        error.message || `Something went wrong (error ${response.status}).`);
      failure.fields = error.fields || null;
      throw failure;
    }
    return data;
  }

  // ---------------------------------------------------------------- styles and markup

  const STYLES = `
    :host { all: initial !important; }
    *, *::before, *::after { box-sizing: border-box; }
    [hidden] { display: none !important; }

    .fd-root {
      --fd-accent: ${DEFAULT_ACCENT};
      --fd-on-accent: #ffffff;
      --fd-text: #1d2430;
      --fd-muted: #5f6b7a;
      --fd-surface: #ffffff;
      --fd-bubble: #eef1f5;
      --fd-border: #dde2e9;
      --fd-danger: #b42318;
      --fd-font: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
      font: 400 14px/1.45 var(--fd-font);
      color: var(--fd-text);
      text-align: left;
      -webkit-font-smoothing: antialiased;
    }
    button, textarea { font: inherit; color: inherit; margin: 0; }
    button { cursor: pointer; }
    button:disabled { cursor: default; }
    :focus { outline: none; }
    :focus-visible { outline: 2px solid var(--fd-accent); outline-offset: 2px; }

    .fd-launcher {
      position: fixed; bottom: 20px; right: 20px; z-index: 2147483000;
      width: 58px; height: 58px; padding: 0; border: 0; border-radius: 50%;
      display: grid; place-items: center;
      background: var(--fd-accent); color: var(--fd-on-accent);
      box-shadow: 0 6px 20px rgba(16, 24, 40, 0.28);
      transition: transform 0.15s ease, box-shadow 0.15s ease, opacity 0.2s ease;
    }
    .fd-root:not([data-ready]) .fd-launcher { visibility: hidden; opacity: 0; }
    .fd-launcher:hover { transform: scale(1.06); box-shadow: 0 8px 26px rgba(16, 24, 40, 0.34); }
    .fd-launcher:focus-visible { outline: 3px solid var(--fd-accent); outline-offset: 3px; }
    .fd-launcher svg { width: 28px; height: 28px; }
    .fd-launcher .fd-icon-close { display: none; width: 24px; height: 24px; }
    .fd-launcher[aria-expanded="true"] .fd-icon-chat { display: none; }
    .fd-launcher[aria-expanded="true"] .fd-icon-close { display: block; }
    .fd-badge {
      position: absolute; top: -2px; right: -2px; min-width: 20px; height: 20px; padding: 0 5px;
      border-radius: 10px; background: #d92d20; color: #fff; border: 2px solid #fff;
      font: 700 11px/16px var(--fd-font); text-align: center;
    }

    .fd-panel {
      position: fixed; bottom: 92px; right: 20px; z-index: 2147483000;
      width: 370px; height: 560px; max-height: calc(100vh - 112px);
      display: flex; flex-direction: column; overflow: hidden;
      background: var(--fd-surface); border-radius: 16px;
      box-shadow: 0 12px 48px rgba(16, 24, 40, 0.28), 0 0 0 1px rgba(16, 24, 40, 0.06);
      animation: fd-pop 0.16s ease-out;
    }
    .fd-panel[data-open="false"] { display: none; }
    .fd-root[data-position="left"] .fd-launcher,
    .fd-root[data-position="left"] .fd-panel { right: auto; left: 20px; }
    @keyframes fd-pop { from { opacity: 0; transform: translateY(12px) scale(0.98); } }

    .fd-header {
      display: flex; align-items: center; gap: 12px; padding: 14px 12px 14px 16px;
      background: var(--fd-accent); color: var(--fd-on-accent);
    }
    .fd-header :focus-visible { outline-color: var(--fd-on-accent); }
    .fd-avatar {
      flex: none; width: 36px; height: 36px; border-radius: 50%;
      display: grid; place-items: center; font-weight: 700; font-size: 16px;
      background: rgba(255, 255, 255, 0.22); color: inherit;
    }
    .fd-heading { flex: 1; min-width: 0; }
    .fd-name {
      margin: 0; font-size: 16px; font-weight: 650; line-height: 1.25;
      overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
    }
    .fd-sub { margin: 2px 0 0; font-size: 12.5px; opacity: 0.85; }
    .fd-close {
      flex: none; width: 36px; height: 36px; padding: 0; border: 0; border-radius: 8px;
      display: grid; place-items: center; background: transparent; color: inherit;
    }
    .fd-close:hover { background: rgba(255, 255, 255, 0.18); }
    .fd-close svg { width: 20px; height: 20px; }

    .fd-log {
      flex: 1; min-height: 0; overflow-y: auto; overscroll-behavior: contain;
      padding: 16px 14px 8px; display: flex; flex-direction: column; gap: 10px;
    }
    .fd-log:focus-visible { outline-offset: -3px; }
    .fd-msg { display: flex; flex-direction: column; align-items: flex-start; max-width: 85%; }
    .fd-msg[data-author="visitor"] { align-self: flex-end; align-items: flex-end; }
    .fd-msg[data-author="system"] { align-self: center; align-items: center; max-width: 95%; }
    .fd-author { margin: 0 0 3px 4px; font-size: 12px; font-weight: 600; color: var(--fd-muted); }
    .fd-text {
      padding: 9px 13px; border-radius: 16px 16px 16px 4px;
      background: var(--fd-bubble); color: var(--fd-text);
      white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-word;
    }
    .fd-msg[data-author="visitor"] .fd-text {
      border-radius: 16px 16px 4px 16px; background: var(--fd-accent); color: var(--fd-on-accent);
    }
    .fd-msg[data-author="system"] .fd-text {
      background: transparent; color: var(--fd-muted); font-size: 12.5px; padding: 2px 8px;
    }
    .fd-msg[data-state="sending"] .fd-text { opacity: 0.7; }
    .fd-msg[data-state="failed"] .fd-text { opacity: 0.7; outline: 1px solid var(--fd-danger); }
    .fd-note { margin: 3px 4px 0; font-size: 11.5px; color: var(--fd-muted); }
    .fd-msg[data-state="failed"] .fd-note { color: var(--fd-danger); }

    .fd-msg[data-kind="form"] { max-width: 92%; width: 92%; }
    .fd-form {
      margin-top: 6px; width: 100%; padding: 10px 12px; border: 1px solid var(--fd-border);
      border-radius: 12px; background: var(--fd-surface); display: flex; flex-direction: column; gap: 8px;
    }
    .fd-field { display: flex; flex-direction: column; gap: 3px; }
    .fd-field label { font-size: 12.5px; font-weight: 600; }
    .fd-field input, .fd-field select, .fd-field textarea {
      font: inherit; color: inherit; width: 100%; padding: 6px 8px; margin: 0;
      border: 1px solid var(--fd-border); border-radius: 8px; background: var(--fd-surface);
    }
    .fd-field [aria-invalid="true"] { border-color: var(--fd-danger); }
    .fd-field-error { font-size: 12px; color: var(--fd-danger); }
    .fd-form-actions { display: flex; gap: 8px; justify-content: flex-end; }
    .fd-form-actions button {
      border: 1px solid var(--fd-border); background: var(--fd-surface); border-radius: 8px; padding: 6px 12px;
    }
    .fd-form-actions .fd-form-send { background: var(--fd-accent); color: var(--fd-on-accent); border-color: var(--fd-accent); }
    .fd-form-note { font-size: 12px; color: var(--fd-muted); }
    .fd-form[data-state="open"] .fd-form-note { display: none; }
    .fd-form:not([data-state="open"]) .fd-form-actions { display: none; }

    .fd-cites { list-style: none; margin: 6px 0 0 4px; padding: 0; font-size: 12px; color: var(--fd-muted); }
    .fd-cites-title { font-weight: 600; }
    .fd-cites li { margin-top: 2px; }
    .fd-cites li::before { content: "\\2022\\00a0"; }
    .fd-cites li[data-linked]::before { content: "\\2197\\00a0"; }
    .fd-cite { color: var(--fd-accent); text-decoration: underline; text-underline-offset: 2px; overflow-wrap: anywhere; }
    .fd-cite:hover { text-decoration-thickness: 2px; }
    .fd-cite-label { color: var(--fd-text); }

    .fd-typing {
      display: flex; align-items: center; gap: 8px; padding: 2px 18px 6px;
      font-size: 12.5px; color: var(--fd-muted);
    }
    .fd-dots { display: inline-flex; gap: 3px; }
    .fd-dots i { width: 6px; height: 6px; border-radius: 50%; background: currentColor; animation: fd-blink 1.2s infinite ease-in-out; }
    .fd-dots i:nth-child(2) { animation-delay: 0.15s; }
    .fd-dots i:nth-child(3) { animation-delay: 0.3s; }
    @keyframes fd-blink { 0%, 80%, 100% { opacity: 0.25; } 40% { opacity: 1; } }

    .fd-rate { display: flex; gap: 4px; margin: 4px 0 0 4px; }
    .fd-rate button, .fd-csat-score {
      padding: 2px 8px; border: 1px solid var(--fd-border); border-radius: 999px;
      background: var(--fd-surface); color: var(--fd-muted); font-size: 12.5px; line-height: 1.4;
    }
    .fd-rate button:hover:not(:disabled), .fd-csat-score:hover:not(:disabled) { border-color: var(--fd-accent); }
    .fd-rate button[aria-pressed="true"], .fd-csat-score[aria-pressed="true"] {
      border-color: var(--fd-accent); background: var(--fd-accent); color: var(--fd-on-accent);
    }
    .fd-csat { margin: 0 14px 6px; padding: 8px 10px; border: 1px solid var(--fd-border); border-radius: 10px; text-align: center; }
    .fd-csat[hidden] { display: none; }
    .fd-csat-q { margin: 0 0 6px; font-size: 13px; font-weight: 600; }
    .fd-csat-scores { display: flex; gap: 6px; justify-content: center; }
    .fd-csat-score { min-width: 34px; font-size: 13.5px; color: var(--fd-text); }
    .fd-csat-note { margin: 6px 0 0; font-size: 12px; color: var(--fd-muted); }
    .fd-csat-note:empty { display: none; }

    .fd-status {
      margin: 0 14px 6px; padding: 7px 10px; border-radius: 8px;
      background: #fff7e6; color: #7a4d00; font-size: 12.5px; text-align: center;
    }

    .fd-footer { padding: 8px 12px 12px; border-top: 1px solid var(--fd-border); }
    .fd-handoff {
      display: inline-flex; align-items: center; gap: 6px; margin: 0 0 8px;
      padding: 5px 12px; border: 1px solid var(--fd-border); border-radius: 999px;
      background: var(--fd-surface); color: var(--fd-text); font-size: 12.5px; font-weight: 500;
    }
    .fd-handoff:hover:not(:disabled) { border-color: var(--fd-accent); color: var(--fd-accent); }
    .fd-handoff:disabled { opacity: 0.6; }
    .fd-handoff svg { width: 14px; height: 14px; }
    .fd-error { margin: 0 0 8px; font-size: 12.5px; color: var(--fd-danger); }
    .fd-composer {
      display: flex; align-items: flex-end; gap: 8px; margin: 0; padding: 6px 6px 6px 12px;
      border: 1px solid var(--fd-border); border-radius: 14px; background: var(--fd-surface);
    }
    .fd-composer:focus-within { border-color: var(--fd-accent); box-shadow: 0 0 0 1px var(--fd-accent); }
    .fd-input {
      flex: 1; min-width: 0; min-height: 24px; max-height: 120px; padding: 4px 0; border: 0;
      resize: none; background: transparent; line-height: 1.45; font-size: 14px;
    }
    .fd-input:focus-visible { outline: none; }
    .fd-input::placeholder { color: var(--fd-muted); opacity: 1; }
    .fd-send {
      flex: none; width: 34px; height: 34px; padding: 0; border: 0; border-radius: 10px;
      display: grid; place-items: center; background: var(--fd-accent); color: var(--fd-on-accent);
    }
    .fd-send:disabled { background: var(--fd-bubble); color: var(--fd-muted); }
    .fd-send svg { width: 18px; height: 18px; }
    .fd-count { margin: 4px 2px 0; font-size: 11.5px; color: var(--fd-muted); text-align: right; }
    .fd-count[data-full] { color: var(--fd-danger); }
    .fd-powered { margin: 6px 0 0; font-size: 11px; color: var(--fd-muted); text-align: center; }

    @media (max-width: 480px) {
      .fd-panel, .fd-root[data-position="left"] .fd-panel {
        inset: 0; width: 100%; height: 100%; max-height: none; border-radius: 0;
      }
      .fd-launcher[aria-expanded="true"] { display: none; }
      .fd-input { font-size: 16px; } /* below 16px iOS zooms the page on focus */
    }
    @media (prefers-reduced-motion: reduce) {
      .fd-panel, .fd-dots i { animation: none; }
      .fd-launcher { transition: none; }
    }
  `;

  const ICON_CHAT = '<svg class="fd-icon-chat" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12z"/></svg>';
  const ICON_CHEVRON = '<svg class="fd-icon-close" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M6 9l6 6 6-6"/></svg>';
  const ICON_X = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>';
  const ICON_SEND = '<svg viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d="M3.4 20.4l17.45-7.48a1 1 0 0 0 0-1.84L3.4 3.6a.99.99 0 0 0-1.39.91L2 9.12c0 .5.37.93.87.99L17 12 2.87 13.88c-.5.07-.87.5-.87 1l.01 4.61c0 .71.73 1.2 1.39.91z"/></svg>';
  const ICON_PERSON = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true"><circle cx="12" cy="8" r="4"/><path d="M4 21a8 8 0 0 1 16 0"/></svg>';

  // Static markup only: every piece of server or visitor data is set with textContent later.
  const TEMPLATE = `
    <div class="fd-root" data-position="right">
      <button class="fd-launcher" type="button" aria-label="Open chat" aria-expanded="false" aria-controls="fd-panel">
        ${ICON_CHAT}${ICON_CHEVRON}
        <span class="fd-badge" aria-hidden="true" hidden></span>
      </button>
      <section class="fd-panel" id="fd-panel" role="dialog" aria-label="Chat" data-open="false">
        <header class="fd-header">
          <div class="fd-avatar" aria-hidden="true"></div>
          <div class="fd-heading">
            <h2 class="fd-name">Chat</h2>
            <p class="fd-sub"></p>
          </div>
          <button class="fd-close" type="button" aria-label="Close chat">${ICON_X}</button>
        </header>
        <div class="fd-log" role="log" aria-live="polite" aria-label="Messages" tabindex="0"></div>
        <div class="fd-typing" hidden>
          <span class="fd-dots" aria-hidden="true"><i></i><i></i><i></i></span>
          <span class="fd-typing-text"></span>
        </div>
        <p class="fd-status" role="status" hidden></p>
        <section class="fd-csat" aria-labelledby="fd-csat-q" hidden>
          <p class="fd-csat-q" id="fd-csat-q">How did we do?</p>
          <div class="fd-csat-scores" role="group" aria-labelledby="fd-csat-q"></div>
          <p class="fd-csat-note" role="status"></p>
        </section>
        <div class="fd-footer">
          <button class="fd-handoff" type="button">${ICON_PERSON}<span>Talk to a person</span></button>
          <p class="fd-error" role="alert" hidden></p>
          <form class="fd-composer" novalidate>
            <textarea class="fd-input" rows="1" maxlength="${MAX_LENGTH}" aria-label="Message"
                      placeholder="Write a message\u2026" autocomplete="off"></textarea>
            <button class="fd-send" type="submit" aria-label="Send message" disabled>${ICON_SEND}</button>
          </form>
          <p class="fd-count" hidden></p>
          <p class="fd-powered">Powered by Frontdesk</p>
        </div>
      </section>
    </div>
  `;

  // ---------------------------------------------------------------- the element

  class FrontdeskWidget extends HTMLElement {
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

    // ------------------------------------------------------------ setup

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

    // ------------------------------------------------------------ panel

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

    // ------------------------------------------------------------ composer

    onInput() {
      const { input, send, count } = this.ui;
      const length = input.value.length;
      send.disabled = input.value.trim() === '';
      count.hidden = length < COUNTER_FROM;
      count.textContent = `${length} / ${MAX_LENGTH}`;
      count.toggleAttribute('data-full', length >= MAX_LENGTH);
      this.autosize();
      if (input.value.trim()) this.notifyTyping();
      else this.stopTyping();
    }

    autosize() {
      const input = this.ui.input;
      input.style.height = 'auto';
      input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
    }

    submit() {
      const input = this.ui.input;
      const text = input.value.slice(0, MAX_LENGTH).trim();
      if (!text) return;
      input.value = '';
      this.onInput();
      this.showError(null);
      this.send(text);
    }

    // ------------------------------------------------------------ conversation

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
        { body: { page_url: location.href } });
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
      const waiting = this.status === 'waiting';
      status.textContent = waiting ? WAITING_NOTICE : '';
      status.hidden = !waiting;
      handoff.hidden = waiting || this.status === 'human';
      this.renderCsat();
      sub.textContent = {
        waiting: 'A person will join shortly',
        human: 'You\u2019re chatting with our team',
        closed: 'This conversation has ended',
      }[this.status] || 'We usually reply in a few seconds';
    }

    // ------------------------------------------------------------ feedback

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
        this.csatScore = score;
        this.renderCsat();
        this.ui.csatNote.textContent = 'Thanks for your feedback!';
      } catch (error) {
        this.showError(error.message);
      } finally {
        this.csatBusy = false;
      }
    }

    renderRating(message) {
      const row = h('div', { class: 'fd-rate', role: 'group', 'aria-label': 'Rate this answer' });
      const choices = [['up', '\u{1F44D}', 'Helpful'], ['down', '\u{1F44E}', 'Not helpful']];
      for (const [rating, icon, label] of choices) {
        const button = h('button', {
          type: 'button', class: 'fd-rate-btn', 'data-rating': rating, 'aria-label': label,
          title: label, 'aria-pressed': String(message.feedback === rating),
        }, icon);
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

    // ------------------------------------------------------------ sending

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

    // ------------------------------------------------------------ messages

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
      if (author === 'ai' && typeof message.seq === 'number' && !form) el.append(this.renderRating(message));
      this.setTimestamp(el, message.created_at);
      return el;
    }

    // ------------------------------------------------------------ forms

    renderForm(spec) {
      const form = h('form', { class: 'fd-form', 'data-form': spec.name, novalidate: true });
      const inputs = new Map();
      for (const field of Array.isArray(spec.fields) ? spec.fields : []) {
        const id = `fd-${spec.name}-${field.name}-${uuid().slice(0, 8)}`;
        const control = this.fieldControl(field, id);
        const error = h('div', { class: 'fd-field-error', id: `${id}-error`, hidden: true });
        control.setAttribute('aria-describedby', `${id}-error`);
        const label = `${field.label || field.name}${field.required ? ' *' : ''}`;
        form.append(h('div', { class: 'fd-field', 'data-field': field.name },
          h('label', { for: id }, label), control, error));
        inputs.set(field.name, { control, error });
      }
      const send = h('button', { type: 'submit', class: 'fd-form-send' }, 'Send');
      const skip = h('button', { type: 'button', class: 'fd-form-skip' }, 'Skip');
      const note = h('div', { class: 'fd-form-note', role: 'status' });
      form.append(h('div', { class: 'fd-form-actions' }, skip, send), note);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        this.submitForm(form, spec.name, inputs);
      });
      skip.addEventListener('click', () => this.skipForm(form, spec.name));
      this.setFormState(form, this.pendingForm === spec.name ? 'open' : 'closed');
      return form;
    }

    fieldControl(field, id) {
      const common = { id, name: field.name, required: Boolean(field.required) };
      if (field.placeholder) common.placeholder = String(field.placeholder);
      if (field.type === 'textarea') return h('textarea', { ...common, rows: '3' });
      if (field.type === 'select') {
        const select = h('select', common, h('option', { value: '' }, 'Choose…'));
        for (const option of field.options || []) select.append(h('option', { value: String(option) }, String(option)));
        return select;
      }
      const types = { email: 'email', phone: 'tel', number: 'number', date: 'date', datetime: 'datetime-local' };
      const extra = field.type === 'phone' ? { autocomplete: 'tel' } : field.type === 'email' ? { autocomplete: 'email' } : {};
      return h('input', { ...common, ...extra, type: types[field.type] || 'text' });
    }

    setFormState(form, state, note) {
      form.setAttribute('data-state', state);
      const open = state === 'open';
      for (const control of form.querySelectorAll('input, select, textarea, button')) control.disabled = !open;
      form.querySelector('.fd-form-note').textContent = note || {
        sent: 'Thanks — your details were sent to our team.',
        skipped: 'Skipped.',
        closed: 'This form is closed.',
      }[state] || '';
    }

    setPendingForm(name) {
      this.pendingForm = name || null;
      const forms = [...this.ui.log.querySelectorAll('.fd-form')];
      const latest = forms.filter((f) => f.dataset.form === this.pendingForm).pop();
      for (const form of forms) {
        const state = form.getAttribute('data-state');
        if (form === latest) this.setFormState(form, 'open');
        else if (state === 'open') this.setFormState(form, 'closed');
      }
    }

    async submitForm(form, name, inputs) {
      if (form.getAttribute('data-state') !== 'open' || form.dataset.busy) return;
      const values = {};
      for (const [field, { control, error }] of inputs) {
        values[field] = control.type === 'datetime-local' ? withOffset(control.value) : control.value;
        error.hidden = true;
        error.textContent = '';
        control.removeAttribute('aria-invalid');
      }
      form.dataset.busy = 'true';
      this.showError(null);
      try {
        await api('POST', `/conversations/${encodeURIComponent(this.conv.id)}/forms/${encodeURIComponent(name)}`,
          { body: { values }, token: this.conv.token });
        this.setFormState(form, 'sent');
      } catch (error) {
        const fields = (error.fields && typeof error.fields === 'object') ? error.fields : null;
        if (fields) {
          let first = null;
          for (const [field, message] of Object.entries(fields)) {
            const slot = inputs.get(field);
            if (!slot) continue;
            slot.error.textContent = String(message);
            slot.error.hidden = false;
            slot.control.setAttribute('aria-invalid', 'true');
            first = first || slot.control;
          }
          if (first) first.focus();
          else this.showError(error.message);
        } else {
          this.showError(error.message);
        }
      } finally {
        delete form.dataset.busy;
      }
    }

    async skipForm(form, name) {
      if (form.getAttribute('data-state') !== 'open') return;
      try {
        const data = await api('POST',
          `/conversations/${encodeURIComponent(this.conv.id)}/forms/${encodeURIComponent(name)}/skip`,
          { token: this.conv.token });
        this.setFormState(form, 'skipped');
        if (data && data.status) this.setStatus(data.status);
      } catch (error) {
        this.showError(error.message);
      }
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

    // ------------------------------------------------------------ typing

    setTyping(author, typing, name) {
      const current = this.typists.get(author);
      if (current) clearTimeout(current.timer);
      if (typing) {
        // Expire on our own in case the "typing: false" frame is lost.
        const timer = setTimeout(() => this.setTyping(author, false), TYPING_EXPIRY_MS);
        this.typists.set(author, { name: name || (current && current.name), timer });
      } else {
        this.typists.delete(author);
      }
      this.renderTyping();
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

    // ------------------------------------------------------------ socket

    socketUrl() {
      const base = serverOrigin.replace(/^http/, 'ws');
      // The token goes in the first frame (see connect), never in a URL that servers log.
      return `${base}/api/v1/widget/ws`;
    }

    connect() {
      if (!this.conv || this.socket || !this.isConnected) return;
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
      this.setConnection('connecting');
      let socket;
      try {
        socket = new WebSocket(this.socketUrl());
      } catch (_) {
        return this.scheduleReconnect();
      }
      this.socket = socket;
      this.socketOpenedAt = 0;
      socket.onopen = () => {
        socket.send(JSON.stringify({ type: 'hello', token: this.conv.token, after: this.lastSeq }));
        this.socketOpenedAt = Date.now();
        this.setConnection('open');
        // The socket replays missed messages but not status changes made while we were away.
        if (this.socketEverOpened) this.catchUp();
        this.socketEverOpened = true;
      };
      socket.onmessage = (event) => this.onFrame(event.data);
      socket.onclose = () => this.onSocketClosed(socket);
      socket.onerror = () => { /* onclose follows and handles it */ };
    }

    onSocketClosed(socket) {
      if (this.socket !== socket) return;
      this.socket = null;
      this.typingSentAt = 0;
      this.clearTyping();
      // Only a connection that stayed up counts as success; otherwise keep backing off.
      if (this.socketOpenedAt && Date.now() - this.socketOpenedAt > STABLE_SOCKET_MS) {
        this.reconnectAttempt = 0;
      }
      if (!this.conv) return this.setConnection('closed');
      this.scheduleReconnect();
      // Fetch over HTTP what the socket may have missed; this also notices a revoked token.
      this.catchUp();
    }

    scheduleReconnect() {
      this.setConnection(this.conv ? 'connecting' : 'closed');
      if (!this.conv || this.reconnectTimer) return;
      this.reconnectAttempt += 1;
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        this.connect();
      }, backoffDelay(this.reconnectAttempt));
    }

    async catchUp() {
      if (!this.conv || this.catchingUp) return;
      this.catchingUp = true;
      this.lastCatchUp = Date.now();
      try {
        await this.fetchMessages(this.lastSeq, { live: true });
      } catch (error) {
        if (error.tokenRejected) this.forgetConversation();
      } finally {
        this.catchingUp = false;
      }
    }

    // Back online or visible again: retry now instead of waiting out the backoff.
    revive() {
      for (const wake of [...this.wakers]) wake();
      if (!this.conv) return;
      if (!this.socket) {
        this.reconnectAttempt = 0;
        this.connect();
      } else if (Date.now() - this.lastCatchUp > CATCH_UP_EVERY_MS) {
        // A socket that still looks open may have died silently while the device slept.
        this.catchUp();
      }
    }

    disconnect() {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
      const socket = this.socket;
      this.socket = null;
      if (socket) socket.close();
      this.setConnection('closed');
    }

    socketIsOpen() {
      return this.socket && this.socket.readyState === WebSocket.OPEN;
    }

    socketSend(frame) {
      if (this.socketIsOpen()) this.socket.send(JSON.stringify(frame));
    }

    onFrame(raw) {
      let frame;
      try { frame = JSON.parse(raw); } catch (_) { return; }
      if (!frame || typeof frame !== 'object') return;
      if (frame.type === 'message') this.acceptMessage(frame.message, { live: true });
      else if (frame.type === 'typing' && (frame.author === 'ai' || frame.author === 'member')) {
        this.setTyping(frame.author, Boolean(frame.typing), frame.name);
      } else if (frame.type === 'status' && frame.status) this.setStatus(frame.status);
      else if (frame.type === 'form') this.setPendingForm(frame.pending_form);
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
})();
