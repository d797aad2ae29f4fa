// Search across the workspace's conversations; the results replace the list while a query
// is typed. Matches come from the server as ranges and are drawn as <mark> text nodes.

import { request } from './api.js';
import { h } from './dom.js';
import { relativeTime } from './format.js';
import { highlighted, visitorName } from './visitor.js';

const MIN_CHARS = 3;
const WHO = { visitor: 'Visitor', member: 'Team', ai: 'AI' };

function hitLine(hit) {
  const who = hit.kind === 'lead'
    ? (hit.label || 'Lead')
    : (hit.private ? 'Note' : (WHO[hit.author] || 'Message'));
  return h('div', { class: 'search-hit', testid: 'search-hit', dataset: { kind: hit.kind } },
    h('span', { class: 'search-hit-who' }, `${who}: `),
    h('span', { class: 'search-hit-text', testid: 'search-hit-text' }, highlighted(hit.text, hit.marks)));
}

/** `onToggle(active)` is told when the results replace the list or give it back. */
export function createSearch({ onToggle }) {
  const input = h('input', {
    type: 'search', class: 'search-input', testid: 'search-input', placeholder: 'Search names, phones, messages…',
    'aria-label': 'Search conversations', autocomplete: 'off',
  });
  const status = h('div', { class: 'list-status', role: 'status' });
  const list = h('ul', { class: 'conv-list', testid: 'search-results', 'aria-label': 'Search results' });
  const el = h('div', { class: 'search-pane', hidden: true }, status, list);
  let timer = null;
  let token = 0;
  let active = false;

  function setActive(on) {
    if (on === active) return;
    active = on;
    el.hidden = !on;
    onToggle(on);
  }

  function render(results) {
    const now = Date.now();
    list.replaceChildren(...results.map(({ conversation: conv, hits }) => h('li', null,
      h('a', {
        href: `#/inbox/${encodeURIComponent(conv.id)}`, class: 'conv-item', testid: 'search-result',
        dataset: { id: conv.id, status: conv.status },
      },
      h('div', { class: 'item-row' },
        h('span', { class: 'item-agent item-name' }, visitorName(conv)),
        h('span', { class: 'item-time' }, relativeTime(conv.last_message_at || conv.created_at, now))),
      hits.map(hitLine),
      h('div', { class: 'item-row item-tags' },
        h('span', { class: `badge badge-status badge-${conv.status}` }, conv.status))))));
    status.replaceChildren(results.length ? '' : h('span', { class: 'muted' }, 'No conversation matches.'));
  }

  async function run(query) {
    const mine = ++token;
    status.replaceChildren('Searching…');
    try {
      const data = await request('GET', `/api/v1/conversations/search?q=${encodeURIComponent(query)}`);
      if (mine !== token) return;
      render(data.results || []);
    } catch (err) {
      if (mine !== token) return;
      list.replaceChildren();
      status.replaceChildren(h('span', { class: 'error-text' }, err.message));
    }
    list.removeAttribute('aria-busy');
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    const query = input.value.trim();
    if (query.replace(/\s/g, '').length < MIN_CHARS) {
      token += 1;
      setActive(false);
      return;
    }
    setActive(true);
    list.setAttribute('aria-busy', 'true'); // the results shown are for the previous query
    timer = setTimeout(() => run(query), 200);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      input.value = '';
      input.dispatchEvent(new Event('input'));
      input.blur();
    } else if (event.key === 'ArrowDown' || event.key === 'Enter') {
      const first = list.querySelector('a.conv-item');
      if (first) {
        event.preventDefault();
        first.focus();
      }
    }
  });
  list.addEventListener('keydown', (event) => {
    if (!['ArrowDown', 'ArrowUp', 'j', 'k'].includes(event.key)) return;
    const links = [...list.querySelectorAll('a.conv-item')];
    const index = links.indexOf(document.activeElement);
    if (index < 0) return;
    event.preventDefault();
    const next = links[index + (event.key === 'ArrowDown' || event.key === 'j' ? 1 : -1)];
    if (next) next.focus();
    else if (index === 0) input.focus();
  });

  return { input, el, focus: () => { input.focus(); input.select(); } };
}
