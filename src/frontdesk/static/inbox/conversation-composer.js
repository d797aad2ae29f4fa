// The reply box of the open conversation: reply or internal note, Enter to send, and the
// member's typing announced to the visitor (never while writing a note).

import { api } from './api.js';
import { errorLine, h } from './dom.js';

const TYPING_SEND_EVERY = 2500; // ms between "typing: true" frames while the member types
const TYPING_IDLE = 4000; // ms without a keystroke before "typing: false"

/** The member's own typing: "true" now and then while keys come, "false" once idle. */
export function createOwnTyping(live) {
  const own = { active: false, lastSent: 0, idleTimer: null, convId: null };
  function send(convId, typing) {
    live.send({ type: 'typing', conversation_id: convId, typing });
  }
  function stop() {
    clearTimeout(own.idleTimer);
    if (own.active) send(own.convId, false);
    own.active = false;
    own.lastSent = 0;
  }
  function keystroke(convId) {
    const now = Date.now();
    if (!own.active || now - own.lastSent > TYPING_SEND_EVERY) {
      own.active = true;
      own.convId = convId;
      own.lastSent = now;
      send(convId, true);
    }
    clearTimeout(own.idleTimer);
    own.idleTimer = setTimeout(stop, TYPING_IDLE);
  }
  return { stop, keystroke };
}

/** view: {current(): the open conversation or null, typing: createOwnTyping(), sent(msg)}. */
export function buildComposer(view) {
  const input = h('textarea', {
    class: 'composer-input', testid: 'composer', rows: '3', 'aria-label': 'Message',
    placeholder: 'Reply to the visitor…',
  });
  const toggle = h('button', {
    type: 'button', role: 'switch', 'aria-checked': 'false', class: 'mode-toggle',
    testid: 'private-toggle', title: 'Switch between a reply and an internal note',
  }, h('span', { class: 'mode-reply' }, 'Reply'), h('span', { class: 'mode-note' }, 'Internal note'));
  const send = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'send' }, 'Send');
  const hint = h('span', { class: 'composer-hint' });
  const error = errorLine('composer-error');
  const form = h('form', { class: 'composer', 'aria-label': 'Reply' },
    h('div', { class: 'composer-top' }, toggle, hint),
    input,
    error.el,
    h('div', { class: 'composer-bottom' },
      h('span', { class: 'muted small' }, 'Enter to send · Shift+Enter for a new line'), send));
  const composer = { form, input, toggle, send, hint, error, isPrivate: false, sending: false };

  toggle.addEventListener('click', () => {
    composer.isPrivate = !composer.isPrivate;
    toggle.setAttribute('aria-checked', String(composer.isPrivate));
    form.classList.toggle('composer-note', composer.isPrivate);
    input.placeholder = composer.isPrivate
      ? 'Write an internal note (only your team sees it)…'
      : 'Reply to the visitor…';
    send.textContent = composer.isPrivate ? 'Add note' : 'Send';
    if (composer.isPrivate) view.typing.stop();
    const current = view.current();
    if (current) renderComposerHint(composer, current.conv);
    input.focus();
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && !event.altKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener('input', () => {
    error.set('');
    const current = view.current();
    // Internal notes are never announced to the visitor.
    if (!current || composer.isPrivate || !input.value.trim()) view.typing.stop();
    else view.typing.keystroke(current.id);
  });
  input.addEventListener('blur', view.typing.stop);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit(composer, view);
  });
  return composer;
}

export function renderComposerHint(composer, conv) {
  let hint = '';
  if (!composer.isPrivate) {
    if (conv.status === 'bot' || conv.status === 'waiting') hint = 'Replying takes the conversation over from the AI.';
    else if (conv.status === 'closed') hint = 'This conversation is closed.';
  } else {
    hint = 'Only your team sees internal notes.';
  }
  composer.hint.textContent = hint;
}

async function submit(composer, view) {
  const text = composer.input.value.trim();
  const current = view.current();
  if (!text || composer.sending || !current) return;
  composer.sending = true;
  composer.send.disabled = true;
  composer.error.set('');
  view.typing.stop();
  try {
    const msg = await api.sendMessage(current.id, text, composer.isPrivate);
    if (view.current() === current) {
      // What the member typed while it was being sent stays.
      if (composer.input.value.trim() === text) composer.input.value = '';
      view.sent(msg);
    }
  } catch (err) {
    if (view.current() === current) composer.error.set(err.message);
  } finally {
    composer.sending = false;
    composer.send.disabled = false;
    // Back to the composer, unless the member moved on meanwhile (to the list, say).
    const moved = document.activeElement !== document.body && !composer.form.contains(document.activeElement);
    if (view.current() === current && !moved) composer.input.focus();
  }
}
