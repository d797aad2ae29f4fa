// Usage page: what the workspace used this month (prominently) and in the months before,
// as metered by the server per UTC calendar month; and the AI answers by generator and model,
// with the prompt and completion tokens each model reported.

import { api } from './api.js';
import { errorLine, h, option } from './dom.js';

const COUNTERS = [
  ['conversations', 'Conversations'],
  ['visitor_messages', 'Visitor messages'],
  ['ai_answers', 'AI answers'],
  ['tokens', 'Tokens'],
];

// The AI answers of a period by generator and model.
const MODEL_COUNTERS = [
  ['answers', 'AI answers'],
  ['prompt_tokens', 'Prompt tokens'],
  ['completion_tokens', 'Completion tokens'],
  ['tokens', 'Total tokens'],
];

const GENERATORS = {
  extractive: 'Extractive (no model)',
  local: 'Local model',
  openai: 'OpenAI-compatible',
  anthropic: 'Anthropic',
  rules: 'Escalation rules',
  none: 'None (an internal error)',
};

const TOTAL = 'total';

/** "2026-11" → "November 2026" in the reader's language; the month is a UTC month. */
export function monthLabel(month) {
  const [year, number] = month.split('-').map(Number);
  return new Date(Date.UTC(year, number - 1, 1))
    .toLocaleDateString(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });
}

const count = (n) => Number(n || 0).toLocaleString();
const sum = (rows, key) => rows.reduce((n, row) => n + (row[key] || 0), 0);

function hasUsage(month) {
  return COUNTERS.some(([key]) => month[key] > 0);
}

export function createUsageView() {
  const title = h('h2', { id: 'usage-current-title', testid: 'usage-current-month' }, 'This month');
  const tiles = h('dl', { class: 'kpis', testid: 'usage-current' });
  const body = h('tbody');
  const foot = h('tfoot');
  const rangeNote = h('p', { class: 'muted', testid: 'usage-range' });
  const periodSelect = h('select', { id: 'usage-period', testid: 'usage-period' });
  const modelsBody = h('tbody');
  let report = null;
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
      rangeNote),
    h('section', { class: 'card', 'aria-labelledby': 'usage-models-title', testid: 'usage-by-model' },
      h('div', { class: 'card-head' },
        h('h2', { id: 'usage-models-title' }, 'AI answers by model'),
        h('div', { class: 'field' },
          h('label', { for: 'usage-period', class: 'visually-hidden' }, 'Period'), periodSelect)),
      h('table', { class: 'table', testid: 'usage-models-table' },
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, 'Generator'), h('th', { scope: 'col' }, 'Model'),
          MODEL_COUNTERS.map(([, label]) => numberHeader(label)))),
        modelsBody),
      h('p', { class: 'muted' },
        'Tokens as each model reported them. When the escalation rules reply instead of a ',
        'model\u2019s draft (asking to rephrase, handing off), the tokens of that draft are ',
        'counted on the rules\u2019 row with its model.')));

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

  function modelRow(m) {
    const generator = GENERATORS[m.generator] || m.generator || 'Unknown';
    return h('tr', { testid: 'usage-model-row', dataset: { generator: m.generator, model: m.model } },
      h('td', null, generator),
      h('td', null, m.model || '\u2014'),
      MODEL_COUNTERS.map(([key]) =>
        h('td', { class: 'num', dataset: { counter: key } }, count(m[key]))));
  }

  /** The period's AI answers by model; answers metered before models were kept, apart. */
  function showModels() {
    const chosen = periodSelect.value === TOTAL
      ? report.totals : report.months.find((m) => m.month === periodSelect.value) || report.current;
    const rows = chosen.models.map(modelRow);
    const answers = chosen.ai_answers - sum(chosen.models, 'answers');
    const tokens = chosen.tokens - sum(chosen.models, 'tokens');
    if (answers > 0 || tokens > 0) {
      rows.push(h('tr', { testid: 'usage-model-unknown' },
        h('td', { colspan: 2, class: 'muted' }, 'Not broken down (metered before models were kept)'),
        h('td', { class: 'num', dataset: { counter: 'answers' } }, count(answers)),
        h('td', { class: 'num muted' }, '\u2014'), h('td', { class: 'num muted' }, '\u2014'),
        h('td', { class: 'num', dataset: { counter: 'tokens' } }, count(tokens))));
    }
    if (!rows.length) {
      rows.push(h('tr', { testid: 'usage-models-empty' },
        h('td', { colspan: 2 + MODEL_COUNTERS.length, class: 'muted' }, 'No AI answers in this period.')));
    }
    modelsBody.replaceChildren(...rows);
  }

  function showPeriods(shown) {
    const chosen = periodSelect.value;
    periodSelect.replaceChildren(
      ...shown.map((m) => option(m.month, m.month === report.current.month
        ? `${monthLabel(m.month)} (so far)` : monthLabel(m.month))),
      option(TOTAL, `Total, ${report.months.length} months`));
    const still = [...periodSelect.options].some((o) => o.value === chosen);
    periodSelect.value = still ? chosen : report.current.month;
  }

  function show(loaded) {
    report = loaded;
    const current = report.current;
    title.textContent = `This month \u2014 ${monthLabel(current.month)}`;
    tiles.replaceChildren(...COUNTERS.map(([key, label]) => tile(key, label, current[key])));
    // Newest first, down to the oldest month that used anything (the current one always).
    const oldest = Math.max(report.months.findLastIndex(hasUsage), 0);
    const shown = report.months.slice(0, oldest + 1);
    body.replaceChildren(...shown.map((m) => row(m, {
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
    showPeriods(shown);
    showModels();
  }

  periodSelect.addEventListener('change', () => { if (report) showModels(); });

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
