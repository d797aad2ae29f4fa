// Inbox page: filters, the live conversation list, and the open conversation.

import { api } from './api.js';
import { h, option, titleCase } from './dom.js';
import {
  compareConversations, currentView, defaultFilters, filterQueries, isStale, matchesFilters, VIEWS,
} from './convlist.js';
import { elapsed, preview, PRIORITIES, relativeTime } from './format.js';
import { createConversationView } from './view-conversation.js';
import { createSearch } from './search-list.js';
import { installShortcuts } from './shortcuts.js';
import { pagePath, visitorName } from './visitor.js';

const STATUS_OPTIONS = [
  ['open', 'All open'], ['waiting', 'Waiting'], ['human', 'Human'], ['bot', 'Bot'], ['closed', 'Closed'],
];

function asList(data, key) {
  if (Array.isArray(data)) return data;
  return data && Array.isArray(data[key]) ? data[key] : [];
}

/** The router calls show(id) when the hash names a conversation; list items are plain links. */
export function createInbox({ session, live }) {
  const me = session.member;
  const filters = defaultFilters();
  const items = new Map(); // conversations shown: id -> Conversation
  const counts = new Map(); // every conversation seen: id -> {unread, lastSeq}
  let members = [];
  let agents = [];
  let tagNames = []; // the workspace's catalog, for the tag filter
  let teams = [];
  let myTeams = new Set(); // ids of the teams I am in
  let openId = null;
  let loading = false;
  let queued = []; // live frames received while the list loads
  let loadToken = 0;
  let listError = '';

  // ---- filters ------------------------------------------------------------------------
  const statusSelect = h('select', { testid: 'status-filter', 'aria-label': 'Status', class: 'select-small' },
    STATUS_OPTIONS.map(([value, label]) => option(value, label)));
  const agentSelect = h('select', { testid: 'agent-filter', 'aria-label': 'Agent', class: 'select-small' });
  const assigneeSelect = h('select', { testid: 'assignee-filter', 'aria-label': 'Assignee', class: 'select-small' });
  const prioritySelect = h('select', { testid: 'priority-filter', 'aria-label': 'Priority', class: 'select-small' },
    option('', 'Any priority'), PRIORITIES.map((p) => option(p, titleCase(p))));

  function fillAgentFilter() {
    const value = filters.agent;
    agentSelect.replaceChildren(option('', 'All agents'), ...agents.map((a) => option(a.id, a.name)));
    agentSelect.value = agents.some((a) => a.id === value) ? value : '';
  }
  function fillAssigneeFilter() {
    const value = filters.assignee;
    assigneeSelect.replaceChildren(
      option('', 'Anyone'), option('me', 'Me'), option('none', 'Unassigned'),
      ...members.filter((m) => m.id !== me.id).map((m) => option(m.id, m.name)));
    assigneeSelect.value = [...assigneeSelect.options].some((o) => o.value === value) ? value : '';
  }
  const tagSelect = h('select', { testid: 'tag-filter', 'aria-label': 'Tag', class: 'select-small' });
  function fillTagFilter() {
    const value = filters.tag;
    const names = new Set(tagNames);
    for (const conv of items.values()) (conv.tags || []).forEach((t) => names.add(t));
    if (value) names.add(value);
    const sorted = [...names].sort();
    const key = sorted.join('\n');
    if (key === tagSelect.dataset.key) return; // rebuilding would close an open dropdown
    tagSelect.dataset.key = key;
    tagSelect.replaceChildren(option('', 'Any tag'), ...sorted.map((t) => option(t, t)));
    tagSelect.value = value;
  }
  const teamSelect = h('select', { testid: 'team-filter', 'aria-label': 'Team', class: 'select-small' });
  function fillTeamFilter() {
    const value = filters.team;
    teamSelect.replaceChildren(option('', 'Any team'), option('mine', 'My teams'),
      ...teams.map((t) => option(t.id, t.name)));
    teamSelect.value = [...teamSelect.options].some((o) => o.value === value) ? value : '';
  }
  fillAgentFilter();
  fillAssigneeFilter();
  fillTagFilter();
  fillTeamFilter();

  // The views: Mine, My teams, Unassigned are the assignee and team filters preset.
  const viewTabs = VIEWS.map(([key, label, set]) => {
    const tab = h('button', { type: 'button', class: 'view-tab', testid: `view-${key}`, role: 'tab' }, label);
    tab.addEventListener('click', () => {
      Object.assign(filters, set);
      assigneeSelect.value = filters.assignee;
      teamSelect.value = filters.team;
      syncViews();
      load();
    });
    return [key, tab];
  });
  function syncViews() {
    const view = currentView(filters);
    for (const [key, tab] of viewTabs) tab.setAttribute('aria-selected', String(key === view));
  }
  syncViews();

  const bindFilter = (select, key) => select.addEventListener('change', () => {
    filters[key] = select.value;
    syncViews();
    load();
  });
  bindFilter(statusSelect, 'status');
  bindFilter(agentSelect, 'agent');
  bindFilter(assigneeSelect, 'assignee');
  bindFilter(prioritySelect, 'priority');
  bindFilter(tagSelect, 'tag');
  bindFilter(teamSelect, 'team');

  // ---- list ---------------------------------------------------------------------------
  const listEl = h('ul', { class: 'conv-list', testid: 'conversation-list', 'aria-label': 'Conversations' });
  const search = createSearch({
    onToggle: (searching) => {
      listEl.hidden = searching;
      listStatus.hidden = searching;
    },
  });
  const listStatus = h('div', { class: 'list-status', role: 'status' });
  const countEl = h('span', { class: 'list-count' });
  const listTitleRow = h('div', { class: 'list-title-row' }, h('h1', { class: 'list-title' }, 'Inbox'), countEl);
  const listPane = h('section', { class: 'list-pane', 'aria-label': 'Conversation list' },
    h('header', { class: 'list-header' },
      listTitleRow,
      search.input,
      h('div', { class: 'view-tabs', role: 'tablist', 'aria-label': 'Views' }, viewTabs.map(([, tab]) => tab)),
      h('div', { class: 'filters' }, statusSelect, agentSelect, assigneeSelect, teamSelect, prioritySelect, tagSelect)),
    listStatus,
    listEl,
    search.el);

  function unreadOf(id) {
    return counts.get(id)?.unread ?? 0;
  }

  function renderItem(conv, now) {
    const unread = conv.id === openId ? 0 : unreadOf(conv.id);
    const waiting = conv.status === 'waiting' && conv.waiting_since;
    const page = pagePath(conv.visitor && conv.visitor.page_url);
    const time = waiting
      ? h('span', { class: 'item-time item-waiting', title: 'Waiting for a person' }, `waiting ${elapsed(conv.waiting_since, now)}`)
      : h('span', { class: 'item-time' }, relativeTime(conv.last_message_at || conv.created_at, now));
    const link = h('a', {
      href: `#/inbox/${encodeURIComponent(conv.id)}`,
      class: `conv-item${unread ? ' is-unread' : ''}`,
      testid: 'conversation-item',
      dataset: { id: conv.id, status: conv.status, priority: conv.priority },
      'aria-current': conv.id === openId ? 'true' : null,
    },
    h('div', { class: 'item-row' },
      h('span', { class: 'item-agent item-name', testid: 'item-name' }, visitorName(conv)),
      time),
    page ? h('div', { class: 'item-row item-meta' },
      h('span', { class: 'item-page', testid: 'item-page', title: conv.visitor.page_url }, page)) : null,
    h('div', { class: 'item-row' },
      h('span', { class: 'item-preview' }, preview(conv.last_message)),
      unread ? h('span', { class: 'unread', testid: 'unread', 'aria-label': `${unread} unread` }, String(unread)) : null),
    h('div', { class: 'item-row item-tags' },
      h('span', { class: `badge badge-status badge-${conv.status}` }, conv.status),
      conv.priority && conv.priority !== 'normal'
        ? h('span', { class: `badge badge-priority badge-${conv.priority}` }, conv.priority) : null,
      conv.team ? h('span', { class: 'badge badge-team', testid: 'item-team' }, conv.team.name) : null,
      (conv.tags || []).slice(0, 3).map((tag) => h('span', { class: 'badge badge-tag', testid: 'item-tag' }, tag)),
      conv.agent_name ? h('span', { class: 'item-agent-name' }, conv.agent_name) : null,
      h('span', { class: 'item-assignee' },
        conv.assignee_id ? (conv.assignee_id === me.id ? 'You' : (conv.assignee_name || 'Assigned')) : 'Unassigned')));
    return h('li', null, link);
  }

  function render() {
    const focusedId = listEl.contains(document.activeElement) ? document.activeElement.dataset.id : null;
    const now = Date.now();
    const sorted = [...items.values()].sort(compareConversations);
    listEl.replaceChildren(...sorted.map((c) => renderItem(c, now)));
    if (focusedId) {
      const again = [...listEl.querySelectorAll('[data-testid="conversation-item"]')]
        .find((a) => a.dataset.id === focusedId);
      if (again) again.focus();
    }
    countEl.textContent = sorted.length ? String(sorted.length) : '';
    fillTagFilter();
    if (listError) {
      listStatus.replaceChildren(h('span', { class: 'error-text' }, listError), ' ',
        h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => load() }, 'Retry'));
    } else if (loading && !sorted.length) {
      listStatus.replaceChildren('Loading conversations…');
    } else if (!sorted.length) {
      listStatus.replaceChildren(h('span', { class: 'muted' }, 'No conversations here. New ones appear live.'));
    } else {
      listStatus.replaceChildren();
    }
  }

  async function load({ quiet = false } = {}) {
    const token = ++loadToken;
    loading = true;
    listError = '';
    queued = [];
    if (!quiet) {
      items.clear();
      render();
    }
    try {
      const results = await Promise.all(filterQueries(filters).map((q) => api.conversations(q)));
      if (token !== loadToken) return;
      items.clear();
      for (const conv of results.flatMap((r) => asList(r, 'conversations'))) {
        items.set(conv.id, conv);
        counts.set(conv.id, { unread: conv.id === openId ? 0 : (conv.unread ?? 0), lastSeq: conv.last_seq ?? 0 });
      }
    } catch (err) {
      if (token !== loadToken) return;
      listError = `Could not load conversations: ${err.message}`;
    }
    loading = false;
    const pending = queued;
    queued = [];
    pending.forEach(applyEvent);
    render();
  }

  let directoryLoadedAt = 0;
  async function loadDirectory() {
    directoryLoadedAt = Date.now();
    const [m, a, t, g] = await Promise.allSettled([api.members(), api.agents(), api.tags(), api.teams()]);
    if (m.status === 'fulfilled') members = asList(m.value, 'members');
    if (g.status === 'fulfilled') {
      teams = asList(g.value, 'teams');
      myTeams = new Set(teams.filter((t) => t.members.some((p) => p.id === me.id)).map((t) => t.id));
      fillTeamFilter();
    }
    if (a.status === 'fulfilled') agents = asList(a.value, 'agents');
    if (t.status === 'fulfilled') tagNames = asList(t.value, 'tags').map((tag) => tag.name);
    fillTagFilter();
    fillAgentFilter();
    fillAssigneeFilter();
    conversation.membersChanged(teams);
  }

  // ---- live updates -------------------------------------------------------------------
  function applyEvent(event) {
    const data = event.data || {};
    const conv = data.conversation;
    if (!conv || !conv.id) return;
    const msg = event.type === 'message.created' ? data.message : null;
    const seen = counts.get(conv.id) || { unread: 0, lastSeq: msg ? msg.seq - 1 : (conv.last_seq ?? 0) };
    // The socket sends unread: 0; count visitor messages newer than what we already counted.
    if (msg && msg.seq > seen.lastSeq && msg.author === 'visitor' && !msg.private && conv.id !== openId) {
      seen.unread += 1;
    }
    // Only a message moves the count past itself: a snapshot is the conversation as its
    // transaction committed, so it may already include a visitor message still to come.
    if (msg) seen.lastSeq = Math.max(seen.lastSeq, msg.seq);
    counts.set(conv.id, seen);

    const current = items.get(conv.id);
    if (current && isStale(conv, current)) return;
    if (matchesFilters(conv, filters, me.id, myTeams)) items.set(conv.id, conv);
    else items.delete(conv.id);
  }

  function onFrame(frame) {
    if (frame.type === 'ready') {
      // The first load raced the socket's first connect: fetch again now that no event can slip by.
      if (frame.first) {
        load({ quiet: true });
        conversation.refresh();
      }
      return;
    }
    if (frame.type === 'reset') {
      load({ quiet: true });
      conversation.refresh();
      return;
    }
    if (frame.type === 'typing' || frame.type === 'draft') {
      conversation.applyEvent(frame);
      return;
    }
    if (!frame.data || !frame.data.conversation) return;
    conversation.applyEvent(frame);
    if (loading) {
      queued.push(frame);
    } else {
      applyEvent(frame);
      render();
    }
  }

  // ---- conversation pane --------------------------------------------------------------
  const conversation = createConversationView({
    session,
    live,
    getMembers: () => members,
    onChange: (conv) => {
      applyEvent({ type: 'conversation.updated', data: { conversation: conv } });
      render();
    },
    onRead: (convId) => {
      const seen = counts.get(convId);
      if (seen && seen.unread) {
        seen.unread = 0;
        render();
      }
    },
  });

  const shortcuts = installShortcuts({
    list: () => (listEl.hidden ? search.el : listEl),
    pane: conversation.el,
    focusSearch: () => search.focus(),
  });
  listTitleRow.append(shortcuts.helpButton);
  const el = h('div', { class: 'inbox' }, listPane, conversation.el, shortcuts.dialog);
  const unsubscribe = live.on(onFrame);
  const ticker = setInterval(() => {
    render();
    conversation.tick();
  }, 30_000);

  load();
  loadDirectory();

  return {
    el,
    /** Route: open this conversation (or none). */
    show(convId) {
      if (Date.now() - directoryLoadedAt > 30_000) loadDirectory();
      if (convId === openId && (convId === null || conversation.currentId() === convId)) {
        conversation.reveal();
        return;
      }
      openId = convId;
      const seen = convId && counts.get(convId);
      if (seen) seen.unread = 0;
      if (convId) conversation.open(convId);
      else conversation.clear();
      render();
    },
    destroy() {
      unsubscribe();
      shortcuts.uninstall();
      clearInterval(ticker);
      conversation.clear();
    },
  };
}
