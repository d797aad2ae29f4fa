// The open conversation: header with state and actions, the whole history, the composer.
// This file opens and refreshes it and routes live frames; the parts live in conversation-*.js.

import { api } from './api.js';
import { h } from './dom.js';
import { isStale } from './convlist.js';
import { buildComposer, createOwnTyping, renderComposerHint } from './conversation-composer.js';
import { buildHeader, renderHeader, renderPeople, renderSubtitle } from './conversation-header.js';
import { createMessageList } from './conversation-messages.js';
import { buildSide, loadRelated, renderVisitor } from './conversation-side.js';
import { attachSavedReplies } from './saved-replies.js';

/**
 * session: {member}; live: LiveSocket; getMembers(): [Member];
 * onChange(conv): a fresher conversation snapshot (from an action); onRead(id): unread cleared.
 */
export function createConversationView({ session, live, getMembers, onChange, onRead }) {
  let teams = [];
  const me = session.member;
  const el = h('section', { class: 'conv-pane', 'aria-label': 'Conversation' });
  let state = null; // the open conversation, see open()
  let openToken = 0;
  // Frames for a conversation that is still loading wait here, so none slip between the
  // fetch and the first render.
  let loading = { id: null, frames: [] };
  let readTimer = null;
  // What the header, the tag editor and the composer may ask of this view.
  const view = {
    me,
    getMembers,
    teams: () => teams,
    current: () => state,
    runAction,
    applyConversation,
    focusComposer: () => state.composer.input.focus(),
    typing: createOwnTyping(live),
    sent(msg) {
      addMessages([msg], { forceScroll: true });
      markRead();
    },
  };

  // ---- empty / loading / error --------------------------------------------------------
  function showPlaceholder(text, role = null) {
    el.removeAttribute('data-testid');
    el.removeAttribute('data-id');
    el.replaceChildren(h('div', { class: 'placeholder', role }, text));
  }

  function clear() {
    view.typing.stop();
    openToken += 1;
    state = null;
    loading = { id: null, frames: [] };
    showPlaceholder('Select a conversation to read and reply.');
  }

  // ---- header -------------------------------------------------------------------------
  function updateHeader() {
    const { conv, ui } = state;
    renderHeader(ui, conv, view);
    if (state.side) renderVisitor(state.side, conv);
    el.dataset.status = conv.status;
    el.dataset.priority = conv.priority;
    renderComposerHint(state.composer, conv);
  }

  async function runAction(call) {
    const current = state;
    current.ui.error.set('');
    const controls = current.ui.header.querySelectorAll('button, select');
    controls.forEach((c) => { c.disabled = true; });
    try {
      const conv = await call();
      if (state === current && conv && conv.id) applyConversation(conv);
    } catch (err) {
      if (state === current) {
        current.ui.error.set(err.message);
        updateHeader(); // put selects back to the server's value
      }
    } finally {
      controls.forEach((c) => { c.disabled = false; });
    }
  }

  /** notify: tell the list (live frames reach the list by themselves). */
  function applyConversation(conv, notify = true) {
    if (!state || conv.id !== state.id) return;
    if (isStale(conv, state.conv)) return;
    state.conv = conv;
    updateHeader();
    if (notify) onChange(conv);
  }

  // ---- messages -----------------------------------------------------------------------
  function addMessages(messages, options) {
    return state.messages.add(messages, state.conv, options);
  }

  function markRead() {
    clearTimeout(readTimer);
    readTimer = setTimeout(() => {
      if (!state || state.messages.maxSeq <= state.readSeq) return;
      const { id } = state;
      const { maxSeq } = state.messages;
      state.readSeq = maxSeq;
      onRead(id);
      api.markRead(id, maxSeq).catch(() => {
        if (state && state.id === id) state.readSeq = 0;
      });
    }, 150);
  }

  // ---- open / refresh -----------------------------------------------------------------
  async function open(id) {
    view.typing.stop();
    const token = ++openToken;
    state = null;
    loading = { id, frames: [] };
    showPlaceholder('Loading conversation…', 'status');
    let data;
    try {
      data = await api.conversation(id);
    } catch (err) {
      if (token === openToken) {
        showPlaceholder(err.status === 404 ? 'This conversation does not exist or was deleted.' : err.message, 'alert');
      }
      return;
    }
    if (token !== openToken) return;

    const ui = buildHeader(view);
    const messages = createMessageList();
    const composer = buildComposer(view);
    composer.form.prepend(attachSavedReplies(composer.input, { current: () => state, me }));
    state = { id, conv: data.conversation, ui, messages, composer, readSeq: 0 };
    el.dataset.testid = 'conversation-view';
    el.dataset.id = id;
    const side = buildSide(ui);
    state.side = side;
    el.replaceChildren(ui.header,
      h('div', { class: 'conv-body' }, h('div', { class: 'conv-main' }, messages.el, composer.form), side.el));
    updateHeader();
    addMessages(data.messages || [], { forceScroll: true });
    const { frames } = loading;
    loading = { id: null, frames: [] };
    frames.forEach(applyEvent);
    messages.scrollToBottom();
    markRead();
    composer.input.focus({ preventScroll: true });
    loadRelated(side, id, () => state && state.id === id && state.side === side);
  }

  /** After a socket reset: refetch, merge, keep what the member was typing. */
  async function refresh() {
    if (!state) return;
    const current = state;
    try {
      const data = await api.conversation(current.id);
      if (state !== current) return;
      applyConversation(data.conversation);
      if (addMessages(data.messages || [])) markRead();
    } catch {
      // the list shows connection problems; keep what is on screen
    }
  }

  /** A live frame from the inbox socket. */
  function applyEvent(event) {
    if (!state && event.conversation_id === loading.id && event.type !== 'typing' && event.type !== 'draft') {
      loading.frames.push(event);
      return;
    }
    if (!state || event.conversation_id !== state.id) return;
    if (event.type === 'typing') {
      const d = event.data || {};
      if (d.author === 'member' && d.member_id === me.id) return;
      const who = d.author === 'visitor' ? 'Visitor' : (d.name || (d.author === 'ai' ? 'AI' : 'A teammate'));
      state.messages.setTyping(d.typing ? `${who} is typing…` : null);
      if (d.author === 'ai' && !d.typing) state.messages.setDraft(null);
      return;
    }
    if (event.type === 'draft') {
      const d = event.data || {};
      state.messages.setDraft(typeof d.text === 'string' ? d.text : null, d.name);
      return;
    }
    const data = event.data || {};
    if (data.conversation) applyConversation(data.conversation, false);
    if (event.type === 'message.created' && data.message) {
      if (addMessages([data.message])) markRead();
    }
    if (event.type === 'message.updated' && data.message) state.messages.update(data.message);
  }

  /** The pane was hidden (another page): hiding loses the scroll position. */
  function reveal() {
    if (state) state.messages.scrollToBottom();
  }

  function membersChanged(nextTeams) {
    if (Array.isArray(nextTeams)) teams = nextTeams;
    if (state) renderPeople(state.ui, state.conv, view);
  }

  /** Called every few seconds so "Waiting 5m" stays true. */
  function tick() {
    if (state) renderSubtitle(state.ui, state.conv, me);
  }

  clear();
  return {
    el,
    open,
    clear,
    refresh,
    applyEvent,
    tick,
    reveal,
    membersChanged,
    currentId: () => (state ? state.id : loading.id),
  };
}
