// The open conversation's header: title and status, priority, assignee and team, the actions
// its status allows, the handoff summary, tags, the lead card and the visitor's rating.

import { api } from './api.js';
import { errorLine, externalLink, h, option, safeUrl, titleCase } from './dom.js';
import { elapsed, fullTime, PRIORITIES } from './format.js';
import { summaryDisclosure } from './conversation-side.js';
import { buildTagEditor, renderTags } from './conversation-tags.js';
import { visitorName } from './visitor.js';

/**
 * view: {me, getMembers(), teams(), current(): the open conversation or null,
 * runAction(call), applyConversation(conv), focusComposer()}.
 */
export function buildHeader(view) {
  const status = h('span', { class: 'badge', testid: 'conv-status' });
  const title = h('h2', { class: 'conv-title' });
  const subtitle = h('p', { class: 'conv-subtitle' });
  const priority = h('select', { testid: 'priority-select', 'aria-label': 'Priority', class: 'select-small' },
    PRIORITIES.map((p) => option(p, titleCase(p))));
  const assignee = h('select', { testid: 'assignee-select', 'aria-label': 'Assignee', class: 'select-small' });
  const team = h('select', { testid: 'team-select', 'aria-label': 'Team', class: 'select-small' });
  const actions = h('div', { class: 'conv-actions' });
  const error = errorLine('conv-error');
  priority.addEventListener('change', () => {
    const value = priority.value;
    view.runAction(() => api.setPriority(view.current().id, value));
  });
  assignee.addEventListener('change', () => {
    const value = assignee.value || null;
    view.runAction(() => api.assign(view.current().id, value));
  });
  team.addEventListener('change', () => {
    const value = team.value || null;
    view.runAction(() => api.moveToTeam(view.current().id, value));
  });
  const header = h('header', { class: 'conv-header' },
    h('div', { class: 'conv-heading' }, h('div', { class: 'conv-title-row' }, title, status), subtitle),
    h('div', { class: 'conv-controls' },
      h('label', { class: 'control' }, h('span', { class: 'control-label' }, 'Priority'), priority),
      h('label', { class: 'control' }, h('span', { class: 'control-label' }, 'Assignee'), assignee),
      h('label', { class: 'control' }, h('span', { class: 'control-label' }, 'Team'), team),
      actions),
    error.el);
  const tags = buildTagEditor(error, view);
  const summary = h('section', { class: 'handoff-summary', testid: 'handoff-summary', 'aria-label': 'Handoff summary', hidden: true });
  const lead = h('div', { class: 'conv-lead' });
  const details = h('section', { class: 'conv-details', 'aria-label': 'Tags and details collected' },
    tags.el, lead);
  return {
    header, status, title, subtitle, priority, assignee, team, actions, error, details, tags, lead, summary,
    actionKey: '', assigneeKey: '', teamKey: '',
  };
}

/** Everything in the header, from the conversation's latest snapshot. */
export function renderHeader(ui, conv, view) {
  renderDetails(ui, conv);
  ui.status.textContent = conv.status;
  ui.status.className = `badge badge-status badge-${conv.status}`;
  ui.title.textContent = visitorName(conv);
  renderSubtitle(ui, conv, view.me);
  ui.priority.value = conv.priority;
  renderPeople(ui, conv, view);
  renderSummary(ui, conv);
  renderActions(ui, conv, view);
}

/** The assignee and team choices (members and teams change while a conversation is open). */
export function renderPeople(ui, conv, view) {
  fillAssignees(ui, conv, view);
  fillTeams(ui, conv, view.teams());
}

function fillAssignees(ui, conv, view) {
  const members = view.getMembers();
  const select = ui.assignee;
  // Rebuilding the options closes an open dropdown: only do it when something changed.
  const key = JSON.stringify([conv.assignee_id, conv.assignee_name, members.map((m) => [m.id, m.name])]);
  if (key === ui.assigneeKey) {
    select.value = conv.assignee_id || '';
    return;
  }
  ui.assigneeKey = key;
  const options = [option('', 'Unassigned')];
  for (const m of members) options.push(option(m.id, m.id === view.me.id ? `${m.name} (you)` : m.name));
  if (conv.assignee_id && !members.some((m) => m.id === conv.assignee_id)) {
    options.push(option(conv.assignee_id, conv.assignee_name || 'Former member'));
  }
  select.replaceChildren(...options);
  select.value = conv.assignee_id || '';
}

function fillTeams(ui, conv, teams) {
  const key = JSON.stringify([conv.team, teams.map((t) => [t.id, t.name])]);
  if (key !== ui.teamKey) {
    ui.teamKey = key;
    const options = [option('', 'No team'), ...teams.map((t) => option(t.id, t.name))];
    if (conv.team && !teams.some((t) => t.id === conv.team.id)) options.push(option(conv.team.id, conv.team.name));
    ui.team.replaceChildren(...options);
  }
  ui.team.value = conv.team ? conv.team.id : '';
}

/** What the visitor wants and what the AI already answered, written at handoff; the
 * agent's model adds a few sentences of its own shortly after, when it has one. */
function renderSummary(ui, conv) {
  const summary = conv.summary;
  ui.summary.hidden = !summary;
  if (!summary) {
    ui.summary.replaceChildren();
    return;
  }
  const wants = summary.wants && summary.wants.length ? summary.wants : ['A person (no question asked yet)'];
  ui.summary.replaceChildren(summaryDisclosure(h('div', null,
    summary.by === 'model' ? h('p', { class: 'summary-text', testid: 'summary-text' }, summary.text) : null,
    h('div', { class: 'summary-block' },
      h('span', { class: 'summary-label' }, 'Wants'),
      h('ul', { class: 'summary-list', testid: 'summary-wants' }, wants.map((w) => h('li', null, w)))),
    summary.answered && summary.answered.length
      ? h('div', { class: 'summary-block' },
        h('span', { class: 'summary-label' }, 'AI already answered'),
        h('ul', { class: 'summary-list', testid: 'summary-answered' }, summary.answered.map((a) => h('li', null,
          h('span', { class: 'summary-q' }, a.question), ' — ', h('span', { class: 'muted' }, a.answer)))))
      : null)));
}

function actionsFor(conv, view) {
  const list = [];
  const open = conv.status !== 'closed';
  if (conv.status === 'bot' || conv.status === 'waiting' || (conv.status === 'human' && conv.assignee_id !== view.me.id)) {
    list.push(['takeover', 'Take over', 'btn-primary', () => api.takeover(view.current().id)]);
  }
  if (conv.status === 'waiting' || conv.status === 'human') {
    list.push(['handback', 'Hand back to AI', 'btn-secondary', () => api.handback(view.current().id)]);
  }
  if (open) list.push(['close', 'Close', 'btn-secondary', () => api.close(view.current().id)]);
  else list.push(['reopen', 'Reopen', 'btn-secondary', () => api.reopen(view.current().id)]);
  return list;
}

function renderActions(ui, conv, view) {
  const actions = actionsFor(conv, view);
  const key = actions.map((a) => a[0]).join(',');
  if (key === ui.actionKey) return;
  const focused = ui.actions.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
  ui.actionKey = key;
  ui.actions.replaceChildren(...actions.map(([testid, label, style, call]) => {
    const button = h('button', { type: 'button', class: `btn ${style} btn-small`, testid }, label);
    button.addEventListener('click', () => view.runAction(call));
    return button;
  }));
  const again = focused && ui.actions.querySelector(`[data-testid="${focused}"]`);
  if (again) again.focus();
  else if (focused) view.focusComposer();
}

/** Waiting time, handoff reason, assignee and the page the visitor is on. */
export function renderSubtitle(ui, conv, me) {
  const parts = [];
  if (conv.status === 'waiting' && conv.waiting_since) parts.push(`Waiting ${elapsed(conv.waiting_since)}`);
  const handedOff = conv.status === 'waiting' || conv.status === 'human';
  if (handedOff && conv.handoff && conv.handoff.reason) parts.push(`Handed off: ${conv.handoff.reason}`);
  if (conv.assignee_name) parts.push(`Assigned to ${conv.assignee_id === me.id ? 'you' : conv.assignee_name}`);
  const page = conv.visitor && conv.visitor.page_url;
  const pageUrl = safeUrl(page);
  ui.subtitle.replaceChildren(
    parts.join(' · '),
    page ? (parts.length ? ' · ' : '') : '',
    page ? 'Visitor on ' : '',
    pageUrl ? externalLink(pageUrl, page, { class: 'subtle-link' }) : (page || ''));
}

/** Times in the member's own clock (the stored value, with its offset, is in the tooltip). */
function leadValue(field) {
  if (field.type === 'datetime' || field.type === 'date') {
    const when = new Date(field.type === 'date' ? `${field.value}T00:00` : field.value);
    if (!Number.isNaN(when.getTime())) {
      return field.type === 'date'
        ? when.toLocaleDateString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' })
        : when.toLocaleString(undefined, { weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
    }
  }
  return field.value;
}

/** Tags, the lead card (what the visitor entered in a form), and a form still open. */
function renderDetails(ui, conv) {
  const parts = [];
  renderTags(ui.tags, conv);
  const lead = conv.lead;
  if (lead) {
    const rows = (lead.fields || []).map((f) => h('div', { class: 'lead-row', testid: 'lead-field', 'data-name': f.name },
      h('dt', null, f.label), h('dd', { title: f.value }, leadValue(f))));
    parts.push(h('div', { class: 'lead-card', testid: 'lead-card' },
      h('h3', { class: 'lead-title' }, `Details from the ${lead.action} form`),
      h('dl', { class: 'lead-fields' }, rows)));
  } else if (conv.pending_form) {
    parts.push(h('p', { class: 'lead-pending', testid: 'lead-pending' },
      `Waiting for the visitor to fill in the ${conv.pending_form.action} form`));
  }
  if (conv.csat) {
    parts.push(h('p', {
      class: 'conv-csat', testid: 'conv-csat', dataset: { score: String(conv.csat.score) },
      title: fullTime(conv.csat.submitted_at),
    }, `Visitor rating: ${conv.csat.score}/5`, conv.csat.comment ? ` — “${conv.csat.comment}”` : null));
  }
  ui.lead.replaceChildren(...parts);
  ui.lead.hidden = parts.length === 0;
}
