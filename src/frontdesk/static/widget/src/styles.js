// The CSS of the shadow root: nothing of the host page gets in, nothing leaks out.

const DEFAULT_ACCENT = '#1f5fbf';

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
  .fd-msg[data-state="draft"] .fd-text { opacity: 0.85; }
  .fd-msg[data-state="draft"] .fd-text::after { content: "\u258d"; animation: fd-blink 1s infinite; }
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
  .fd-rate button { display: inline-grid; place-items: center; padding: 3px 9px; }
  .fd-rate svg { display: block; width: 14px; height: 14px; }
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
