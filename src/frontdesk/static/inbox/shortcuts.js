// Inbox keyboard shortcuts: move through the list, open, take over, reply, close, search,
// without the mouse. Keys typed into a field stay the field's, except Escape, which leaves
// the field for the list.

import { h } from './dom.js';

export const SHORTCUTS = [
  ['j / ↓', 'Next conversation'],
  ['k / ↑', 'Previous conversation'],
  ['Enter', 'Open the conversation'],
  ['t', 'Take over'],
  ['r', 'Reply (focus the composer)'],
  ['c', 'Close'],
  ['/', 'Search'],
  ['Esc', 'Leave a field, back to the list'],
  ['?', 'This help'],
];

function typingIn(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

function buildHelp() {
  const close = h('button', { type: 'button', class: 'btn btn-secondary btn-small', testid: 'shortcuts-close' }, 'Close');
  const dialog = h('dialog', { class: 'shortcuts-dialog', testid: 'shortcuts-help', 'aria-label': 'Keyboard shortcuts' },
    h('h2', { class: 'shortcuts-title' }, 'Keyboard shortcuts'),
    h('dl', { class: 'shortcuts-list' }, SHORTCUTS.map(([key, what]) => h('div', { class: 'shortcut-row' },
      h('dt', null, h('kbd', null, key)), h('dd', null, what)))),
    close);
  close.addEventListener('click', () => dialog.close());
  return dialog;
}

/**
 * list(): the visible list element (conversations or search results); pane: the open
 * conversation's element; focusSearch(); returns {helpButton, dialog, uninstall}.
 */
export function installShortcuts({ list, pane, focusSearch }) {
  const dialog = buildHelp();
  const helpButton = h('button', {
    type: 'button', class: 'btn btn-ghost btn-small shortcuts-button', testid: 'shortcuts-button',
    title: 'Keyboard shortcuts (?)', 'aria-label': 'Keyboard shortcuts',
  }, '?');
  helpButton.addEventListener('click', () => dialog.showModal());

  const items = () => [...list().querySelectorAll('a.conv-item')];
  function move(step) {
    const links = items();
    if (!links.length) return;
    let index = links.indexOf(document.activeElement);
    if (index < 0) index = links.findIndex((a) => a.getAttribute('aria-current') === 'true');
    const next = index < 0 ? links[step > 0 ? 0 : links.length - 1]
      : links[Math.min(links.length - 1, Math.max(0, index + step))];
    next.focus();
  }
  function backToList() {
    const links = items();
    const current = links.find((a) => a.getAttribute('aria-current') === 'true') || links[0];
    if (current) current.focus();
    else document.activeElement.blur();
  }
  function press(testid) {
    const button = pane.querySelector(`.conv-actions [data-testid="${testid}"]`);
    if (button && !button.disabled) button.click();
  }

  function onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || dialog.open) return;
    if (!pane.isConnected || pane.closest('[hidden]')) return; // another page is showing
    if (typingIn(event.target)) {
      if (event.key === 'Escape' && !event.target.closest('dialog')) {
        event.preventDefault();
        backToList();
      }
      return;
    }
    const actions = {
      j: () => move(1),
      ArrowDown: () => move(1),
      k: () => move(-1),
      ArrowUp: () => move(-1),
      t: () => press('takeover'),
      c: () => press('close'),
      r: () => pane.querySelector('[data-testid="composer"]')?.focus(),
      '/': focusSearch,
      '?': () => dialog.showModal(),
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  }

  document.addEventListener('keydown', onKey);
  return { helpButton, dialog, uninstall: () => document.removeEventListener('keydown', onKey) };
}
