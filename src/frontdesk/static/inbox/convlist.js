// Conversation list rules shared by the fetch and the live updates: which conversations
// match the filters and in which order they are shown (the server's order).

import { toMs } from './format.js';

const OPEN_STATUSES = ['bot', 'waiting', 'human'];
const PRIORITY_RANK = { urgent: 0, high: 1, normal: 2, low: 3 };

export function defaultFilters() {
  return { status: 'open', agent: '', assignee: '', priority: '', tag: '', team: '' };
}

/** urgent > high > normal > low; then waiting first, oldest wait first; then newest activity. */
export function compareConversations(a, b) {
  const rank = (PRIORITY_RANK[a.priority] ?? 2) - (PRIORITY_RANK[b.priority] ?? 2);
  if (rank) return rank;
  const aWaiting = a.status === 'waiting';
  const bWaiting = b.status === 'waiting';
  if (aWaiting !== bWaiting) return aWaiting ? -1 : 1;
  if (aWaiting) {
    const wait = (toMs(a.waiting_since) ?? Infinity) - (toMs(b.waiting_since) ?? Infinity);
    if (wait) return wait;
  }
  const last = (c) => toMs(c.last_message_at) ?? toMs(c.created_at) ?? 0;
  const recent = last(b) - last(a);
  if (recent) return recent;
  return String(a.id).localeCompare(String(b.id));
}

/** The views above the list: shortcuts that set the assignee and team filters. */
export const VIEWS = [
  ['all', 'All', { assignee: '', team: '' }],
  ['mine', 'Mine', { assignee: 'me', team: '' }],
  ['teams', 'My teams', { assignee: '', team: 'mine' }],
  ['unassigned', 'Unassigned', { assignee: 'none', team: '' }],
];

export function currentView(filters) {
  const found = VIEWS.find(([, , set]) => set.assignee === filters.assignee && set.team === filters.team);
  return found ? found[0] : null;
}

/** `myTeams`: ids of the teams the signed-in member belongs to. */
export function matchesFilters(conv, filters, meId, myTeams = new Set()) {
  if (filters.status === 'open' ? !OPEN_STATUSES.includes(conv.status) : conv.status !== filters.status) {
    return false;
  }
  if (filters.agent && conv.agent_id !== filters.agent) return false;
  if (filters.priority && conv.priority !== filters.priority) return false;
  if (filters.tag && !(conv.tags || []).includes(filters.tag)) return false;
  const team = conv.team ? conv.team.id : null;
  if (filters.team === 'mine' && !(team && myTeams.has(team))) return false;
  if (filters.team && filters.team !== 'mine' && team !== filters.team) return false;
  if (filters.assignee === 'me') return Boolean(meId) && conv.assignee_id === meId;
  if (filters.assignee === 'none') return !conv.assignee_id;
  if (filters.assignee) return conv.assignee_id === filters.assignee;
  return true;
}

/**
 * Query strings for the list endpoint. "All open" is asked as three single-status queries
 * so it relies only on the documented one-status filter.
 */
export function filterQueries(filters) {
  const common = {
    agent_id: filters.agent || undefined,
    assignee: filters.assignee || undefined,
    priority: filters.priority || undefined,
    tag: filters.tag || undefined,
    team: filters.team || undefined,
  };
  const statuses = filters.status === 'open' ? OPEN_STATUSES : [filters.status];
  return statuses.map((status) => ({ ...common, status }));
}

/** Is `incoming` an older snapshot than `current`? (Events can race a fetch.) */
export function isStale(incoming, current) {
  if ((incoming.last_seq ?? 0) < (current.last_seq ?? 0)) return true;
  const a = toMs(incoming.updated_at);
  const b = toMs(current.updated_at);
  return a !== null && b !== null && a < b;
}
