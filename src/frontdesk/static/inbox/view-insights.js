// Insights page (owners and admins): what the AI resolves, what it hands off and why, how
// fast people answer, what visitors think, and the questions the knowledge cannot answer.
// Charts are inline SVG built with DOM calls; every chart has a table of the same numbers.

import { request } from './api.js';
import { errorLine, h, option } from './dom.js';
import { fullTime } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const DAY_MS = 86_400_000;

/** An SVG element: attributes as given, children appended (strings become text nodes). */
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined) el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) el.append(child);
  }
  return el;
}

const pad = (n) => String(n).padStart(2, '0');
const isoDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const count = (n) => Number(n || 0).toLocaleString();

export function percent(rate) {
  if (rate === null || rate === undefined) return '—';
  const value = rate * 100;
  return `${Number.isInteger(value) ? value : value.toFixed(1)}%`;
}

/** 45 → "45s", 210 → "3m 30s", 5400 → "1h 30m"; null → "—". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const total = Math.round(seconds);
  if (total < 60) return `${total}s`;
  if (total < 3600) return `${Math.floor(total / 60)}m${total % 60 ? ` ${total % 60}s` : ''}`;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  if (hours < 48) return `${hours}h${minutes ? ` ${minutes}m` : ''}`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) q.set(key, value);
  return q.toString();
}

// ---- charts ----------------------------------------------------------------------------

/** Rows as a plain table: the same numbers as the chart, for screen readers and copying. */
function dataTable(headers, rows) {
  return h('details', { class: 'chart-table' },
    h('summary', null, 'Show as table'),
    h('table', { class: 'table table-compact' },
      h('thead', null, h('tr', null, headers.map((label) => h('th', { scope: 'col' }, label)))),
      h('tbody', null, rows.map((row) => h('tr', null, row.map((cell) => h('td', null, cell)))))));
}

/** Horizontal bars, one per row {label, value}; a bar carries data-label and data-value. */
function barChart({ title, rows, testid, unit = '' }) {
  if (!rows.length) return h('p', { class: 'muted chart-empty', testid }, 'Nothing in this range.');
  // About the width of a half-page card, so the text is drawn near its real size.
  const rowHeight = 28;
  const labelWidth = 130;
  const width = 420;
  const plot = width - labelWidth - 46;
  const max = Math.max(...rows.map((r) => r.value), 1);
  const summary = rows.map((r) => `${r.label}: ${r.value}${unit}`).join(', ');
  const svg = s('svg', {
    class: 'chart', viewBox: `0 0 ${width} ${rows.length * rowHeight + 4}`,
    role: 'img', 'aria-label': `${title}. ${summary}`, 'data-testid': testid,
  }, rows.map((row, i) => {
    const y = i * rowHeight + 4;
    const length = Math.max((row.value / max) * plot, row.value ? 2 : 0);
    const label = row.label.length > 20 ? `${row.label.slice(0, 19)}…` : row.label;
    return s('g', { class: 'bar', 'data-testid': 'bar', 'data-label': row.label, 'data-value': row.value },
      s('title', null, `${row.label}: ${row.value}${unit}`),
      s('text', { class: 'bar-label', x: labelWidth - 8, y: y + 17, 'text-anchor': 'end' }, label),
      s('rect', { class: `bar-fill ${row.tone || ''}`, x: labelWidth, y, width: length, height: rowHeight - 8, rx: 3 }),
      s('text', { class: 'bar-value', x: labelWidth + length + 6, y: y + 17 }, `${count(row.value)}${unit}`));
  }));
  return h('figure', { class: 'chart-figure' }, svg,
    dataTable(['', 'Count'], rows.map((r) => [r.label, count(r.value)])));
}

/** One column per local day: conversations, with the handed-off part drawn darker. */
function dailyChart(days) {
  const width = 900;
  const height = 200;
  const left = 34;
  const bottom = 22;
  const plotHeight = height - bottom - 8;
  const max = Math.max(...days.map((d) => d.conversations), 1);
  const step = (width - left) / Math.max(days.length, 1);
  const y = (value) => 8 + plotHeight - (value / max) * plotHeight;
  const total = days.reduce((sum, d) => sum + d.conversations, 0);
  const handed = days.reduce((sum, d) => sum + d.handoffs, 0);
  const ticks = [...new Set([0, Math.floor((days.length - 1) / 2), days.length - 1])].filter((i) => i >= 0);
  const svg = s('svg', {
    class: 'chart chart-daily', viewBox: `0 0 ${width} ${height}`, role: 'img', 'data-testid': 'chart-daily',
    'aria-label': `Conversations per day: ${total} in ${days.length} days, ${handed} handed off.`,
  },
  s('line', { class: 'axis', x1: left, x2: width, y1: y(0), y2: y(0) }),
  s('text', { class: 'axis-label', x: left - 6, y: y(max) + 4, 'text-anchor': 'end' }, String(max)),
  s('text', { class: 'axis-label', x: left - 6, y: y(0), 'text-anchor': 'end' }, '0'),
  days.map((day, i) => {
    const x = left + i * step + step * 0.15;
    const w = Math.max(step * 0.7, 1);
    return s('g', {
      'data-testid': 'day', 'data-day': day.day,
      'data-conversations': day.conversations, 'data-handoffs': day.handoffs,
    },
    s('title', null, `${day.day}: ${day.conversations} conversations, ${day.handoffs} handed off`),
    s('rect', { class: 'bar-fill', x, y: y(day.conversations), width: w, height: y(0) - y(day.conversations) }),
    s('rect', { class: 'bar-fill tone-handoff', x, y: y(day.handoffs), width: w, height: y(0) - y(day.handoffs) }));
  }),
  ticks.map((i) => s('text', {
    class: 'axis-label', x: left + i * step + step / 2, y: height - 6, 'text-anchor': 'middle',
  }, days[i].day.slice(5))));
  return h('figure', { class: 'chart-figure' }, svg,
    h('figcaption', { class: 'legend' },
      h('span', { class: 'swatch' }), 'Conversations ', h('span', { class: 'swatch tone-handoff' }), 'Handed off'),
    dataTable(['Day', 'Conversations', 'Handed off'],
      days.map((d) => [d.day, count(d.conversations), count(d.handoffs)])));
}

// ---- the page --------------------------------------------------------------------------

export function createInsightsView() {
  const today = new Date();
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const agentSelect = h('select', { id: 'insights-agent', testid: 'insights-agent' }, option('', 'All agents'));
  const fromInput = h('input', {
    id: 'insights-from', type: 'date', testid: 'insights-from', required: true,
    value: isoDay(new Date(today.getTime() - 29 * DAY_MS)),
  });
  const toInput = h('input', { id: 'insights-to', type: 'date', testid: 'insights-to', required: true, value: isoDay(today) });
  const apply = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'insights-apply' }, 'Show');
  const pageError = errorLine('insights-error');
  const body = h('div', { class: 'insights-body', 'aria-live': 'polite' });

  const params = () => ({ agent_id: agentSelect.value, from: fromInput.value, to: toInput.value, tz });
  const csvLink = (table) => h('a', {
    class: 'btn btn-secondary btn-small csv-link', testid: `csv-${table}`, download: '',
    href: `/api/v1/insights.csv?${query({ ...params(), table })}`,
  }, 'Download CSV');

  function section(title, table, ...content) {
    const id = `insights-${table}`;
    return h('section', { class: 'card insights-card', 'aria-labelledby': id, testid: `section-${table}` },
      h('div', { class: 'card-head' }, h('h2', { id }, title), csvLink(table)),
      ...content);
  }

  function tile(key, label, value, detail) {
    return h('div', { class: 'kpi', testid: `kpi-${key}` },
      h('dt', null, label),
      h('dd', { class: 'kpi-value', testid: 'kpi-value' }, value),
      detail ? h('dd', { class: 'kpi-detail muted' }, detail) : null);
  }

  function tiles(r) {
    const replies = r.first_human_reply_s;
    const after = r.resolution_after_handoff;
    return h('dl', { class: 'kpis' },
      tile('conversations', 'Conversations', count(r.conversations)),
      tile('resolved', 'Resolved by AI', count(r.resolved_by_ai), `${percent(r.deflection_rate)} deflection`),
      tile('handoffs', 'Handoffs', count(r.handoffs), `${percent(r.handoff_rate)} of conversations`),
      tile('reply', 'First human reply', duration(replies.median),
        replies.count ? `median · p90 ${duration(replies.p90)} · ${replies.count} replied` : 'no replies yet'),
      tile('after', 'Closed after handoff', count(after.closed), `${percent(after.rate)} of handoffs`),
      tile('thumbs', 'Thumbs down', count(r.feedback.down), `${count(r.feedback.up)} thumbs up`),
      tile('csat', 'CSAT', r.csat.average === null ? '—' : r.csat.average.toFixed(2),
        `${count(r.csat.count)} rating${r.csat.count === 1 ? '' : 's'}`));
  }

  function gapItem(gap) {
    const reasons = [];
    if (gap.unanswered) reasons.push(`${gap.unanswered} unanswered`);
    if (gap.thumbs_down) reasons.push(`${gap.thumbs_down} thumbs down`);
    // Named by the agent's model when it has one; the central question stays, as asked.
    const named = gap.title_by === 'model';
    const status = h('p', { class: 'gap-status', role: 'status', testid: 'gap-status' });
    const answeredBadge = h('span', { class: 'badge badge-answered', testid: 'gap-answered', hidden: !gap.answered }, 'Answer added');
    const addButton = h('button', { type: 'button', class: 'btn btn-secondary btn-small', testid: 'gap-add' }, 'Add an answer');
    const item = h('li', { class: 'gap', testid: 'gap', dataset: { count: gap.count, answered: String(gap.answered) } },
      h('div', { class: 'gap-head' },
        h('span', { class: 'gap-count', testid: 'gap-count', title: 'Times asked' }, `${gap.count}×`),
        named ? h('span', { class: 'gap-title', testid: 'gap-title' }, gap.title) : null,
        h('span', { class: named ? 'gap-question gap-question-sub' : 'gap-question', testid: 'gap-question' }, gap.question),
        answeredBadge),
      h('p', { class: 'muted small' },
        [reasons.join(' · '), `last asked ${fullTime(gap.last_asked_at)}`, agentSelect.value ? '' : gap.agent_name]
          .filter(Boolean).join(' · ')),
      h('details', { class: 'gap-examples' },
        h('summary', null, 'Examples'),
        h('ul', null, gap.examples.map((ex) => h('li', null,
          h('a', { href: `#/inbox/${encodeURIComponent(ex.conversation_id)}` }, ex.text),
          h('span', { class: 'muted small' }, ` — ${ex.reason === 'unanswered' ? 'not answered' : 'thumbs down'}, ${fullTime(ex.asked_at)}`))))),
      h('div', { class: 'gap-actions' }, addButton),
      status);

    addButton.addEventListener('click', () => {
      const question = h('input', { type: 'text', class: 'gap-input', testid: 'gap-question-input', value: gap.question, maxlength: '2000', 'aria-label': 'Question' });
      const answer = h('textarea', {
        class: 'gap-input', rows: '3', testid: 'gap-answer', maxlength: '20000', required: true,
        'aria-label': `Answer to: ${gap.question}`, placeholder: 'The answer the agent should give',
      });
      const save = h('button', { type: 'submit', class: 'btn btn-primary btn-small', testid: 'gap-save' }, 'Save');
      const cancel = h('button', { type: 'button', class: 'btn btn-ghost btn-small' }, 'Cancel');
      const error = errorLine('gap-error');
      const form = h('form', { class: 'gap-form' }, question, answer, h('div', { class: 'gap-buttons' }, save, cancel), error.el);
      cancel.addEventListener('click', () => { form.replaceWith(addButton); addButton.focus(); });
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        error.set('');
        save.disabled = true;
        try {
          const added = await request('POST', '/api/v1/insights/gaps/answer', {
            agent_id: gap.agent_id, question: question.value.trim(), answer: answer.value.trim(),
          });
          form.replaceWith(addButton);
          addButton.textContent = 'Change the answer';
          answeredBadge.hidden = false;
          item.dataset.answered = 'true';
          status.textContent = `Added to ${added.agent_name}`;
        } catch (err) {
          error.set(err.message);
          save.disabled = false;
        }
      });
      addButton.replaceWith(form);
      answer.focus();
    });
    return item;
  }

  function gapsSection(gaps) {
    const list = gaps.length
      ? h('ol', { class: 'gaps', testid: 'gaps' }, gaps.map(gapItem))
      : h('p', { class: 'muted', testid: 'gaps-empty' }, 'No unanswered questions in this range.');
    return section('Knowledge gaps', 'knowledge_gaps',
      h('p', { class: 'muted small' },
        'Questions the agent could not answer, or whose answer got a thumbs down, grouped by meaning.'),
      list);
  }

  function show(r) {
    const triggers = r.handoffs_by_trigger.map((t) => ({ label: t.trigger.replace(/_/g, ' '), value: t.count }));
    const tags = r.handoffs_by_tag.map((t) => ({ label: t.tag ?? '(no tag)', value: t.count }));
    const teams = r.handoffs_by_team.map((t) => ({
      label: t.team ?? (t.team_id ? '(deleted team)' : '(no team)'), value: t.count,
    }));
    const csat = [...r.csat.distribution].reverse().map((b) => ({ label: `${b.score} / 5`, value: b.count, tone: `tone-csat-${b.score}` }));
    body.replaceChildren(
      section('Summary', 'summary', tiles(r)),
      section('Conversations per day', 'daily', dailyChart(r.daily)),
      h('div', { class: 'insights-grid' },
        section('Handoffs by trigger', 'handoffs_by_trigger',
          barChart({ title: 'Handoffs by trigger', rows: triggers, testid: 'chart-handoffs_by_trigger' })),
        section('Handoffs by tag', 'handoffs_by_tag',
          barChart({ title: 'Handoffs by tag', rows: tags, testid: 'chart-handoffs_by_tag' })),
        section('Handoffs by team', 'handoffs_by_team',
          barChart({ title: 'Handoffs by team', rows: teams, testid: 'chart-handoffs_by_team' })),
        section('Satisfaction (CSAT)', 'csat',
          r.csat.count ? barChart({ title: 'Ratings by score', rows: csat, testid: 'chart-csat' })
            : h('p', { class: 'muted chart-empty', testid: 'chart-csat' }, 'No ratings in this range.'))),
      gapsSection(r.knowledge_gaps));
  }

  const el = h('main', { class: 'page page-wide insights', 'aria-labelledby': 'insights-title', testid: 'insights-page' },
    h('header', { class: 'page-header' },
      h('h1', { id: 'insights-title' }, 'Insights'),
      h('p', { class: 'muted' },
        `Conversations started in the range, with days read in your time zone (${tz}).`)),
    h('form', { class: 'inline-form insights-filters', testid: 'insights-filters' },
      h('div', { class: 'field' }, h('label', { for: 'insights-agent' }, 'Agent'), agentSelect),
      h('div', { class: 'field' }, h('label', { for: 'insights-from' }, 'From'), fromInput),
      h('div', { class: 'field' }, h('label', { for: 'insights-to' }, 'To'), toInput),
      h('div', { class: 'field field-button' }, apply)),
    pageError.el,
    body);

  let loading = 0;
  async function load() {
    const mine = ++loading;
    pageError.set('');
    el.dataset.state = 'loading';
    el.setAttribute('aria-busy', 'true');
    try {
      const report = await request('GET', `/api/v1/insights?${query(params())}`);
      if (mine !== loading) return;
      show(report);
      el.dataset.state = 'ready';
    } catch (err) {
      if (mine !== loading) return;
      body.replaceChildren();
      pageError.set(err.status === 403 ? 'Insights are for owners and admins.' : err.message);
      el.dataset.state = 'error';
    } finally {
      if (mine === loading) el.removeAttribute('aria-busy');
    }
  }

  el.querySelector('form').addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  agentSelect.addEventListener('change', load);

  request('GET', '/api/v1/agents').then((list) => {
    const agents = Array.isArray(list) ? list : [];
    const chosen = agentSelect.value;
    agentSelect.replaceChildren(option('', 'All agents'), ...agents.map((a) => option(a.id, a.name)));
    agentSelect.value = chosen;
  }).catch(() => {});
  load();
  return { el };
}
