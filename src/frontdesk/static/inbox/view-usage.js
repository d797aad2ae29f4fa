// Usage page: what the workspace used this month (prominently) and in the months before,
// as metered by the server per UTC calendar month.

import { api } from './api.js';
import { errorLine, h } from './dom.js';

const COUNTERS = [
  ['conversations', 'Conversations'],
  ['visitor_messages', 'Visitor messages'],
  ['ai_answers', 'AI answers'],
  ['tokens', 'Tokens'],
];

/** "2026-11" → "November 2026" in the reader's language; the month is a UTC month. */
export function monthLabel(month) {
  const [year, number] = month.split('-').map(Number);
  return new Date(Date.UTC(year, number - 1, 1))
    .toLocaleDateString(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });
}

const count = (n) => Number(n || 0).toLocaleString();

function hasUsage(month) {
  return COUNTERS.some(([key]) => month[key] > 0);
}

export function createUsageView() {
  const title = h('h2', { id: 'usage-current-title', testid: 'usage-current-month' }, 'This month');
  const tiles = h('dl', { class: 'kpis', testid: 'usage-current' });
  const body = h('tbody');
  const foot = h('tfoot');
  const rangeNote = h('p', { class: 'muted', testid: 'usage-range' });
  const pageError = errorLine('usage-error');
  const numberHeader = (label) => h('th', { scope: 'col', class: 'num' }, label);

  const el = h('main', { class: 'page', 'aria-labelledby': 'usage-title' },
    h('header', { class: 'page-header' },
      h('h1', { id: 'usage-title' }, 'Usage'),
      h('p', { class: 'muted' },
        'What this workspace used, counted as it happens, per calendar month (UTC). A message ',
        'sent again by a visitor\u2019s browser counts once; deleting conversations does not ',
        'change these numbers.')),
    pageError.el,
    h('section', { class: 'card', 'aria-labelledby': 'usage-current-title' }, title, tiles),
    h('section', { class: 'card' },
      h('h2', null, 'By month'),
      h('table', { class: 'table', testid: 'usage-table' },
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, 'Month (UTC)'), COUNTERS.map(([, label]) => numberHeader(label)))),
        body, foot),
      rangeNote));

  function tile(key, label, value) {
    return h('div', { class: 'kpi', testid: `usage-${key}` },
      h('dt', null, label),
      h('dd', { class: 'kpi-value', testid: 'usage-value' }, count(value)));
  }

  function row(month, { testid, label, strong = false }) {
    const text = (value) => (strong ? h('strong', null, value) : value);
    const cells = COUNTERS.map(([key]) =>
      h('td', { class: 'num', dataset: { counter: key } }, text(count(month[key]))));
    return h('tr', { testid, dataset: { month: month.month || '' } }, h('td', null, text(label)), cells);
  }

  function show(report) {
    const current = report.current;
    title.textContent = `This month \u2014 ${monthLabel(current.month)}`;
    tiles.replaceChildren(...COUNTERS.map(([key, label]) => tile(key, label, current[key])));
    // Newest first, down to the oldest month that used anything (the current one always).
    const oldest = Math.max(report.months.findLastIndex(hasUsage), 0);
    body.replaceChildren(...report.months.slice(0, oldest + 1).map((m) => row(m, {
      testid: 'usage-row',
      label: m.month === current.month ? `${monthLabel(m.month)} (so far)` : monthLabel(m.month),
    })));
    const omitted = report.months[oldest + 1];
    rangeNote.hidden = !omitted;
    rangeNote.textContent = omitted
      ? `No usage from ${monthLabel(report.from)} to ${monthLabel(omitted.month)}.` : '';
    foot.replaceChildren(row(report.totals, {
      testid: 'usage-total', label: `Total, ${report.months.length} months`, strong: true,
    }));
  }

  async function load() {
    pageError.set('');
    try {
      show(await api.usage());
    } catch (err) {
      pageError.set(`Could not load usage: ${err.message}`);
    }
  }

  load();
  return { el };
}
