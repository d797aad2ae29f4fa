// The side panel of the open conversation: the handoff summary (collapsible), tags and the
// lead card, and what is known of the visitor. The thread keeps the full height beside it.

import { request } from './api.js';
import { externalLink, h, safeUrl } from './dom.js';
import { fullTime } from './format.js';
import { pagePath, visitorName } from './visitor.js';

const COLLAPSED_KEY = 'frontdesk:summary-collapsed';

function remembered() {
  try {
    return localStorage.getItem(COLLAPSED_KEY) === '1';
  } catch {
    return false;
  }
}

/** The summary section becomes a <details>: its title toggles it, the choice is kept. */
export function buildSide(ui) {
  const visitor = h('section', { class: 'side-section visitor-panel', testid: 'visitor-panel', 'aria-label': 'Visitor' });
  const related = h('section', { class: 'side-section', testid: 'related', hidden: true, 'aria-label': 'Other conversations of this visitor' });
  const el = h('aside', { class: 'conv-side', testid: 'conv-side', 'aria-label': 'Conversation details' },
    ui.summary, visitor, ui.details, related);
  return { el, visitor, related };
}

export function summaryDisclosure(content) {
  const details = h('details', { class: 'summary-details', testid: 'summary-details', open: !remembered() },
    h('summary', { class: 'summary-title', testid: 'summary-toggle' }, 'Handoff summary'),
    content);
  details.addEventListener('toggle', () => {
    try {
      localStorage.setItem(COLLAPSED_KEY, details.open ? '0' : '1');
    } catch {
      // private mode: the choice lasts for this page only
    }
  });
  return details;
}

function row(label, value, testid) {
  return h('div', { class: 'lead-row', testid }, h('dt', null, label), h('dd', null, value));
}

/** Only what the conversation records: the name or label, email, page and when it started. */
export function renderVisitor(side, conv) {
  const page = conv.visitor && conv.visitor.page_url;
  const pageUrl = safeUrl(page);
  const rows = [row('Name', visitorName(conv), 'visitor-name')];
  if (conv.visitor && conv.visitor.email) {
    const mail = `mailto:${conv.visitor.email}`;
    rows.push(row('Email', h('a', { href: mail, class: 'subtle-link' }, conv.visitor.email), 'visitor-email'));
  }
  if (page) {
    rows.push(row('Page', pageUrl ? externalLink(pageUrl, pagePath(page), { class: 'subtle-link', title: page })
      : page, 'visitor-page'));
  }
  const referrer = conv.visitor && conv.visitor.referrer;
  if (referrer) {
    const referrerUrl = safeUrl(referrer);
    rows.push(row('Referrer', referrerUrl ? externalLink(referrerUrl, referrerLabel(referrerUrl), { class: 'subtle-link', title: referrer })
      : referrer, 'visitor-referrer'));
  }
  if (conv.visitor && conv.visitor.browser) rows.push(row('Browser', conv.visitor.browser, 'visitor-browser'));
  const zone = conv.visitor && conv.visitor.timezone;
  const clock = zone ? h('span', { testid: 'visitor-local-time' }) : null;
  if (clock) rows.push(row('Local time', clock, 'visitor-time'));
  rows.push(row('Started', fullTime(conv.created_at), 'visitor-started'));
  rows.push(row('Agent', conv.agent_name || '', 'visitor-agent'));
  side.visitor.replaceChildren(h('h3', { class: 'lead-title' }, 'Visitor'), h('dl', { class: 'lead-fields' }, rows));
  tickClock(side, clock, zone);
}

/** The referring site and path without the query ("news.example.com/cars"). */
function referrerLabel(url) {
  const parsed = new URL(url);
  return `${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}

/** The visitor's own time now ("14:32 (Europe/Berlin)"), kept current while shown. */
function tickClock(side, clock, zone) {
  clearInterval(side.clockTimer);
  if (!clock) return;
  let format;
  try {
    format = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone });
  } catch {
    clock.textContent = zone; // a zone this browser does not know: the name alone
    return;
  }
  const show = () => { clock.textContent = `${format.format(new Date())} (${zone})`; };
  show();
  const timer = setInterval(() => (clock.isConnected ? show() : clearInterval(timer)), 15000);
  side.clockTimer = timer;
}

/** The visitor's other conversations (same email or phone in the lead card), as links. */
export async function loadRelated(side, conversationId, stillOpen) {
  let data;
  try {
    data = await request('GET', `/api/v1/conversations/${encodeURIComponent(conversationId)}/related`);
  } catch {
    return; // the panel stays without the list; the conversation itself is unaffected
  }
  if (!stillOpen()) return;
  const others = data.conversations || [];
  side.related.replaceChildren(...(others.length ? [
    h('h3', { class: 'lead-title' }, 'Other conversations'),
    h('ul', { class: 'related-list', testid: 'related-list' }, others.map((c) => h('li', null,
      h('a', { href: `#/inbox/${encodeURIComponent(c.id)}`, class: 'subtle-link', testid: 'related-item', dataset: { id: c.id } },
        fullTime(c.created_at)),
      ' ', h('span', { class: `badge badge-status badge-${c.status}` }, c.status)))),
  ] : []));
  side.related.hidden = others.length === 0;
}
