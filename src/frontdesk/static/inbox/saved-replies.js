// Saved replies in the composer: typing "/fin" suggests the team's replies whose shortcut
// starts so; Enter or Tab (or a click) puts the reply in place of "/fin" with its variables
// filled in. The library is read once per page and again after a minute.

import { request } from './api.js';
import { h } from './dom.js';

const TRIGGER = /(^|\s)\/([a-z0-9_-]{0,32})$/i;
const MAX_SHOWN = 6;
let library = { at: 0, replies: [] };

async function replies() {
  if (Date.now() - library.at > 60_000) {
    const data = await request('GET', '/api/v1/saved-replies');
    library = { at: Date.now(), replies: data.replies || [] };
  }
  return library.replies;
}

/** {visitor.name}: the name the visitor gave (else "there"); {agent.name}: yours. */
export function fillVariables(text, conv, me) {
  const visitor = conv && conv.visitor;
  const given = visitor && visitor.name && visitor.name !== visitor.label && !visitor.name.includes('@')
    ? visitor.name : 'there';
  const values = { 'visitor.name': given, 'agent.name': (me && me.name) || '' };
  return text.replace(/\{(visitor\.name|agent\.name)\}/g, (_, name) => values[name]);
}

/** input: the composer's textarea; current(): the open conversation; me: the member. */
export function attachSavedReplies(input, { current, me }) {
  const list = h('ul', {
    class: 'reply-suggestions', role: 'listbox', testid: 'reply-suggestions', hidden: true,
    'aria-label': 'Saved replies', id: `replies-${Math.random().toString(36).slice(2)}`,
  });
  let shown = [];
  let active = 0;
  let match = null; // {start, end} of "/fin" in the input

  function close() {
    list.hidden = true;
    list.replaceChildren();
    shown = [];
    match = null;
    input.removeAttribute('aria-activedescendant');
  }

  function render() {
    list.replaceChildren(...shown.map((reply, i) => {
      const item = h('li', {
        role: 'option', class: 'reply-option', testid: 'reply-option', id: `${list.id}-${i}`,
        'aria-selected': String(i === active), dataset: { shortcut: reply.shortcut },
      },
      h('span', { class: 'reply-shortcut' }, `/${reply.shortcut}`),
      h('span', { class: 'reply-title' }, reply.title),
      h('span', { class: 'reply-preview' }, reply.text));
      item.addEventListener('mousedown', (event) => {
        event.preventDefault(); // keep the focus in the composer
        choose(i);
      });
      return item;
    }));
    list.hidden = shown.length === 0;
    if (shown.length) input.setAttribute('aria-activedescendant', `${list.id}-${active}`);
  }

  function choose(index) {
    const reply = shown[index];
    if (!reply || !match) return;
    const conv = current() && current().conv;
    const text = fillVariables(reply.text, conv, me);
    input.setRangeText(text, match.start, match.end, 'end');
    close();
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.focus();
  }

  async function suggest() {
    const before = input.value.slice(0, input.selectionStart);
    const found = input.selectionStart === input.selectionEnd ? TRIGGER.exec(before) : null;
    if (!found) {
      close();
      return;
    }
    const query = found[2].toLowerCase();
    let all;
    try {
      all = await replies();
    } catch {
      close();
      return;
    }
    // The input may have changed while the library loaded.
    if (input.value.slice(0, input.selectionStart) !== before) return;
    match = { start: before.length - query.length - 1, end: before.length };
    shown = all.filter((r) => r.shortcut.startsWith(query)).slice(0, MAX_SHOWN);
    active = 0;
    render();
  }

  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-controls', list.id);
  input.addEventListener('input', suggest);
  input.addEventListener('blur', close);
  // Capture: runs before the composer's own Enter-to-send.
  input.addEventListener('keydown', (event) => {
    if (list.hidden || !shown.length) return;
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (event.key in moves) {
      active = (active + moves[event.key] + shown.length) % shown.length;
      render();
    } else if ((event.key === 'Enter' && !event.shiftKey) || event.key === 'Tab') {
      choose(active);
    } else if (event.key === 'Escape') {
      close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
  }, { capture: true });
  return list;
}
