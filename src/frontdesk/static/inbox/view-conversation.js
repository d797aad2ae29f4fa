// The open conversation: header with state and actions, the whole history, the composer.

import { api } from './api.js';
import { errorLine, externalLink, h, option, safeUrl, titleCase } from './dom.js';
import { isStale } from './convlist.js';
import { clockTime, elapsed, fullTime, PRIORITIES } from './format.js';

const TYPING_SEND_EVERY = 2500; // ms between "typing: true" frames while the member types
const TYPING_IDLE = 4000; // ms without a keystroke before "typing: false"
const TYPING_SHOWN_FOR = 8000; // hide a typing indicator that never got its "false"
const NEAR_BOTTOM = 120; // px

function authorLabel(msg, conv) {
  if (msg.author === 'visitor') return 'Visitor';
  if (msg.author === 'ai') return conv && conv.agent_name ? `${conv.agent_name} (AI)` : 'AI';
  return msg.author_name || 'Team member';
}

function renderCitations(citations) {
  if (!Array.isArray(citations) || citations.length === 0) return null;
  const items = citations.map((c) => {
    const title = c.title || c.source || 'Source';
    const url = safeUrl(c.url);
    const main = url
      ? externalLink(url, title, { class: 'citation', testid: 'citation', title: url })
      : h('span', { class: 'citation citation-plain', testid: 'citation' }, title);
    return h('li', null, main, c.location ? h('span', { class: 'citation-location' }, ` · ${c.location}`) : null);
  });
  return h('div', { class: 'citations' },
    h('span', { class: 'citations-label' }, 'Sources'),
    h('ol', { class: 'citation-list' }, items));
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

/** Black or white text, whichever reads better on a tag's colour. */
function readableOn(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.55 ? '#1b1f24' : '#ffffff';
}

const FEEDBACK = { up: ['👍', 'The visitor found this helpful'], down: ['👎', 'The visitor found this not helpful'] };

/** The visitor's thumbs on an AI answer, or null. */
function feedbackBadge(msg) {
  const shown = msg.author === 'ai' ? FEEDBACK[msg.feedback] : null;
  if (!shown) return null;
  return h('span', {
    class: `msg-feedback msg-feedback-${msg.feedback}`, testid: 'message-feedback',
    dataset: { feedback: msg.feedback }, title: shown[1], 'aria-label': shown[1],
  }, shown[0]);
}

function renderMessage(msg, conv) {
  const isPrivate = Boolean(msg.private);
  const attrs = {
    testid: 'message',
    dataset: { author: msg.author, seq: String(msg.seq), private: String(isPrivate), id: String(msg.id) },
  };
  const text = h('div', { class: 'msg-text', testid: 'message-text' }, msg.text ?? '');
  if (msg.author === 'system') {
    return h('div', { ...attrs, class: 'msg msg-system', role: 'note' }, text,
      h('time', { class: 'msg-time', datetime: msg.created_at, title: fullTime(msg.created_at) },
        clockTime(msg.created_at)));
  }
  const side = msg.author === 'visitor' ? 'msg-in' : 'msg-out';
  const classes = ['msg', side, `msg-${msg.author}`];
  if (isPrivate) classes.push('msg-note');
  const confidence = msg.author === 'ai' && typeof msg.confidence === 'number'
    ? h('span', { class: 'msg-confidence', title: 'Answer confidence' },
      `${Math.round(msg.confidence * 100)}% confidence`)
    : null;
  return h('article', { ...attrs, class: classes.join(' ') },
    h('div', { class: 'msg-meta' },
      isPrivate ? h('span', { class: 'note-label' }, 'Internal note') : null,
      h('span', { class: 'msg-author' }, authorLabel(msg, conv)),
      h('time', { class: 'msg-time', datetime: msg.created_at, title: fullTime(msg.created_at) },
        clockTime(msg.created_at)),
      confidence,
      feedbackBadge(msg)),
    h('div', { class: 'msg-bubble' }, text, renderCitations(msg.citations)));
}

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
  let tagEditors = 0; // a unique datalist id per tag editor
  // Frames for a conversation that is still loading wait here, so none slip between the
  // fetch and the first render.
  let loading = { id: null, frames: [] };
  let readTimer = null;

  // ---- empty / loading / error --------------------------------------------------------
  function showPlaceholder(text, role = null) {
    el.removeAttribute('data-testid');
    el.removeAttribute('data-id');
    el.replaceChildren(h('div', { class: 'placeholder', role }, text));
  }

  function clear() {
    stopOwnTyping();
    openToken += 1;
    state = null;
    loading = { id: null, frames: [] };
    showPlaceholder('Select a conversation to read and reply.');
  }

  // ---- header -------------------------------------------------------------------------
  function buildHeader() {
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
      runAction(() => api.setPriority(state.id, value));
    });
    assignee.addEventListener('change', () => {
      const value = assignee.value || null;
      runAction(() => api.assign(state.id, value));
    });
    team.addEventListener('change', () => {
      const value = team.value || null;
      runAction(() => api.moveToTeam(state.id, value));
    });
    const header = h('header', { class: 'conv-header' },
      h('div', { class: 'conv-heading' }, h('div', { class: 'conv-title-row' }, title, status), subtitle),
      h('div', { class: 'conv-controls' },
        h('label', { class: 'control' }, h('span', { class: 'control-label' }, 'Priority'), priority),
        h('label', { class: 'control' }, h('span', { class: 'control-label' }, 'Assignee'), assignee),
        h('label', { class: 'control' }, h('span', { class: 'control-label' }, 'Team'), team),
        actions),
      error.el);
    const tags = buildTagEditor(error);
    const summary = h('section', { class: 'handoff-summary', testid: 'handoff-summary', 'aria-label': 'Handoff summary', hidden: true });
    const lead = h('div', { class: 'conv-lead' });
    const details = h('section', { class: 'conv-details', 'aria-label': 'Tags and details collected' },
      tags.el, lead);
    header.append(summary, details);
    return {
      header, status, title, subtitle, priority, assignee, team, actions, error, details, tags, lead, summary,
      actionKey: '', assigneeKey: '', teamKey: '',
    };
  }

  /** Chips with a remove button, and an input that suggests the workspace's tags. */
  function buildTagEditor(error) {
    const list = h('ul', { class: 'tag-list', testid: 'conv-tags', 'aria-label': 'Tags' });
    const optionsId = `tag-options-${++tagEditors}`;
    const suggestions = h('datalist', { id: optionsId, testid: 'tag-options' });
    const input = h('input', {
      type: 'text', class: 'tag-input', testid: 'tag-input', list: optionsId, maxlength: '40',
      autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Add tag', placeholder: 'Add tag…',
    });
    const add = h('button', { type: 'submit', class: 'btn btn-secondary btn-small', testid: 'tag-add' }, 'Add');
    const form = h('form', { class: 'tag-form', 'aria-label': 'Add tag' }, input, suggestions, add);
    const editor = { el: h('div', { class: 'tag-editor' }, list, form), list, input, suggestions };

    async function loadSuggestions() {
      try {
        const data = await api.tags();
        const names = (data && Array.isArray(data.tags) ? data.tags : []).map((t) => t.name);
        suggestions.replaceChildren(...names.map((name) => h('option', { value: name })));
      } catch {
        // suggestions are a convenience; typing a name still works
      }
    }
    input.addEventListener('focus', loadSuggestions);
    input.addEventListener('input', () => error.set(''));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (!name || !state) return;
      const current = state;
      error.set('');
      add.disabled = true;
      try {
        const conv = await api.addTag(current.id, name);
        if (state === current) {
          input.value = '';
          applyConversation(conv);
          loadSuggestions();
        }
      } catch (err) {
        if (state === current) error.set(err.message);
      } finally {
        add.disabled = false;
      }
    });
    list.addEventListener('click', async (event) => {
      const button = event.target.closest('button[data-tag]');
      if (!button || !state) return;
      const current = state;
      error.set('');
      button.disabled = true;
      try {
        const conv = await api.removeTag(current.id, button.dataset.tag);
        if (state === current) {
          applyConversation(conv);
          input.focus();
        }
      } catch (err) {
        if (state === current) error.set(err.message);
        button.disabled = false;
      }
    });
    loadSuggestions();
    return editor;
  }

  function renderTags(editor, conv) {
    const colors = conv.tag_colors || {};
    editor.list.replaceChildren(...(conv.tags || []).map((tag) => {
      const color = /^#[0-9a-f]{6}$/i.test(colors[tag] || '') ? colors[tag] : null;
      return h('li', {
        class: 'tag', testid: 'tag', dataset: { tag },
        style: color ? `background:${color};color:${readableOn(color)}` : null,
      },
      h('span', { class: 'tag-name', testid: 'tag-name' }, tag),
      h('button', {
        type: 'button', class: 'tag-remove', testid: 'tag-remove', dataset: { tag },
        'aria-label': `Remove tag ${tag}`, title: `Remove tag ${tag}`,
      }, '×'));
    }));
  }

  function fillAssignees(ui, conv) {
    const members = getMembers();
    const select = ui.assignee;
    // Rebuilding the options closes an open dropdown: only do it when something changed.
    const key = JSON.stringify([conv.assignee_id, conv.assignee_name, members.map((m) => [m.id, m.name])]);
    if (key === ui.assigneeKey) {
      select.value = conv.assignee_id || '';
      return;
    }
    ui.assigneeKey = key;
    const options = [option('', 'Unassigned')];
    for (const m of members) options.push(option(m.id, m.id === me.id ? `${m.name} (you)` : m.name));
    if (conv.assignee_id && !members.some((m) => m.id === conv.assignee_id)) {
      options.push(option(conv.assignee_id, conv.assignee_name || 'Former member'));
    }
    select.replaceChildren(...options);
    select.value = conv.assignee_id || '';
  }

  function fillTeams(ui, conv) {
    const key = JSON.stringify([conv.team, teams.map((t) => [t.id, t.name])]);
    if (key !== ui.teamKey) {
      ui.teamKey = key;
      const options = [option('', 'No team'), ...teams.map((t) => option(t.id, t.name))];
      if (conv.team && !teams.some((t) => t.id === conv.team.id)) options.push(option(conv.team.id, conv.team.name));
      ui.team.replaceChildren(...options);
    }
    ui.team.value = conv.team ? conv.team.id : '';
  }

  /** What the visitor wants and what the AI already answered, written at handoff. */
  function renderSummary(ui, conv) {
    const summary = conv.summary;
    ui.summary.hidden = !summary;
    if (!summary) {
      ui.summary.replaceChildren();
      return;
    }
    const wants = summary.wants && summary.wants.length ? summary.wants : ['A person (no question asked yet)'];
    ui.summary.replaceChildren(h('div', null,
      h('h3', { class: 'summary-title' }, 'Handoff summary'),
      h('div', { class: 'summary-block' },
        h('span', { class: 'summary-label' }, 'Wants'),
        h('ul', { class: 'summary-list', testid: 'summary-wants' }, wants.map((w) => h('li', null, w)))),
      summary.answered && summary.answered.length
        ? h('div', { class: 'summary-block' },
          h('span', { class: 'summary-label' }, 'AI already answered'),
          h('ul', { class: 'summary-list', testid: 'summary-answered' }, summary.answered.map((a) => h('li', null,
            h('span', { class: 'summary-q' }, a.question), ' — ', h('span', { class: 'muted' }, a.answer)))))
        : null));
  }

  function actionsFor(conv) {
    const list = [];
    const open = conv.status !== 'closed';
    if (conv.status === 'bot' || conv.status === 'waiting' || (conv.status === 'human' && conv.assignee_id !== me.id)) {
      list.push(['takeover', 'Take over', 'btn-primary', () => api.takeover(state.id)]);
    }
    if (conv.status === 'waiting' || conv.status === 'human') {
      list.push(['handback', 'Hand back to AI', 'btn-secondary', () => api.handback(state.id)]);
    }
    if (open) list.push(['close', 'Close', 'btn-secondary', () => api.close(state.id)]);
    else list.push(['reopen', 'Reopen', 'btn-secondary', () => api.reopen(state.id)]);
    return list;
  }

  function updateSubtitle() {
    const { conv, ui } = state;
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

  /** Tags, the lead card (what the visitor entered in a form), and a form still open. */
  function updateDetails() {
    const { conv, ui } = state;
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

  function updateHeader() {
    const { conv, ui } = state;
    updateDetails();
    ui.status.textContent = conv.status;
    ui.status.className = `badge badge-status badge-${conv.status}`;
    el.dataset.status = conv.status;
    ui.title.textContent = conv.agent_name || 'Conversation';
    updateSubtitle();
    ui.priority.value = conv.priority;
    el.dataset.priority = conv.priority;
    fillAssignees(ui, conv);
    fillTeams(ui, conv);
    renderSummary(ui, conv);

    const actions = actionsFor(conv);
    const key = actions.map((a) => a[0]).join(',');
    if (key !== ui.actionKey) {
      const focused = ui.actions.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
      ui.actionKey = key;
      ui.actions.replaceChildren(...actions.map(([testid, label, style, call]) => {
        const button = h('button', { type: 'button', class: `btn ${style} btn-small`, testid }, label);
        button.addEventListener('click', () => runAction(call));
        return button;
      }));
      const again = focused && ui.actions.querySelector(`[data-testid="${focused}"]`);
      if (again) again.focus();
      else if (focused) state.composer.input.focus();
    }
    updateComposerHint();
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
  function nearBottom() {
    const box = state.ui.messages;
    return box.scrollHeight - box.scrollTop - box.clientHeight < NEAR_BOTTOM;
  }

  function scrollToBottom() {
    const box = state.ui.messages;
    box.scrollTop = box.scrollHeight;
  }

  /** Adds messages not shown yet, in seq order. Returns how many were new. */
  function addMessages(messages, { forceScroll = false } = {}) {
    const stick = forceScroll || nearBottom();
    let added = 0;
    for (const msg of messages) {
      if (!msg || state.ids.has(msg.id) || state.nodes.has(msg.seq)) continue;
      const node = renderMessage(msg, state.conv);
      state.ids.add(msg.id);
      state.nodes.set(msg.seq, node);
      const after = [...state.nodes.keys()].filter((s) => s > msg.seq).sort((a, b) => a - b)[0];
      state.ui.messages.insertBefore(node, after === undefined ? state.ui.typing : state.nodes.get(after));
      state.maxSeq = Math.max(state.maxSeq, msg.seq);
      if (msg.author === 'visitor') setTyping(null);
      added += 1;
    }
    if (added && stick) scrollToBottom();
    if (added) state.ui.empty.hidden = true;
    return added;
  }

  function markRead() {
    clearTimeout(readTimer);
    readTimer = setTimeout(() => {
      if (!state || state.maxSeq <= state.readSeq) return;
      const { id, maxSeq } = state;
      state.readSeq = maxSeq;
      onRead(id);
      api.markRead(id, maxSeq).catch(() => {
        if (state && state.id === id) state.readSeq = 0;
      });
    }, 150);
  }

  // ---- typing -------------------------------------------------------------------------
  function setTyping(text) {
    if (!state) return;
    const node = state.ui.typing;
    clearTimeout(state.typingTimer);
    node.textContent = text || '';
    node.hidden = !text;
    if (text) {
      const stick = nearBottom();
      state.typingTimer = setTimeout(() => setTyping(null), TYPING_SHOWN_FOR);
      if (stick) scrollToBottom();
    }
  }

  const own = { active: false, lastSent: 0, idleTimer: null, convId: null };
  function sendTyping(convId, typing) {
    live.send({ type: 'typing', conversation_id: convId, typing });
  }
  function stopOwnTyping() {
    clearTimeout(own.idleTimer);
    if (own.active) sendTyping(own.convId, false);
    own.active = false;
    own.lastSent = 0;
  }
  function onOwnKeystroke() {
    // Internal notes are never announced to the visitor.
    if (!state || state.composer.isPrivate || !state.composer.input.value.trim()) {
      stopOwnTyping();
      return;
    }
    const now = Date.now();
    if (!own.active || now - own.lastSent > TYPING_SEND_EVERY) {
      own.active = true;
      own.convId = state.id;
      own.lastSent = now;
      sendTyping(state.id, true);
    }
    clearTimeout(own.idleTimer);
    own.idleTimer = setTimeout(stopOwnTyping, TYPING_IDLE);
  }

  // ---- composer -----------------------------------------------------------------------
  function buildComposer() {
    const input = h('textarea', {
      class: 'composer-input', testid: 'composer', rows: '3', 'aria-label': 'Message',
      placeholder: 'Reply to the visitor…',
    });
    const toggle = h('button', {
      type: 'button', role: 'switch', 'aria-checked': 'false', class: 'mode-toggle',
      testid: 'private-toggle', title: 'Switch between a reply and an internal note',
    }, h('span', { class: 'mode-reply' }, 'Reply'), h('span', { class: 'mode-note' }, 'Internal note'));
    const send = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'send' }, 'Send');
    const hint = h('span', { class: 'composer-hint' });
    const error = errorLine('composer-error');
    const form = h('form', { class: 'composer', 'aria-label': 'Reply' },
      h('div', { class: 'composer-top' }, toggle, hint),
      input,
      error.el,
      h('div', { class: 'composer-bottom' },
        h('span', { class: 'muted small' }, 'Enter to send · Shift+Enter for a new line'), send));
    const composer = { form, input, toggle, send, hint, error, isPrivate: false, sending: false };

    toggle.addEventListener('click', () => {
      composer.isPrivate = !composer.isPrivate;
      toggle.setAttribute('aria-checked', String(composer.isPrivate));
      form.classList.toggle('composer-note', composer.isPrivate);
      input.placeholder = composer.isPrivate
        ? 'Write an internal note (only your team sees it)…'
        : 'Reply to the visitor…';
      send.textContent = composer.isPrivate ? 'Add note' : 'Send';
      if (composer.isPrivate) stopOwnTyping();
      updateComposerHint();
      input.focus();
    });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && !event.altKey) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    input.addEventListener('input', () => {
      error.set('');
      onOwnKeystroke();
    });
    input.addEventListener('blur', stopOwnTyping);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submit(composer);
    });
    return composer;
  }

  function updateComposerHint() {
    if (!state) return;
    const { conv, composer } = state;
    let hint = '';
    if (!composer.isPrivate) {
      if (conv.status === 'bot' || conv.status === 'waiting') hint = 'Replying takes the conversation over from the AI.';
      else if (conv.status === 'closed') hint = 'This conversation is closed.';
    } else {
      hint = 'Only your team sees internal notes.';
    }
    composer.hint.textContent = hint;
  }

  async function submit(composer) {
    const text = composer.input.value.trim();
    if (!text || composer.sending || !state) return;
    const current = state;
    composer.sending = true;
    composer.send.disabled = true;
    composer.error.set('');
    stopOwnTyping();
    try {
      const msg = await api.sendMessage(current.id, text, composer.isPrivate);
      if (state === current) {
        composer.input.value = '';
        addMessages([msg], { forceScroll: true });
        markRead();
      }
    } catch (err) {
      if (state === current) composer.error.set(err.message);
    } finally {
      composer.sending = false;
      composer.send.disabled = false;
      if (state === current) composer.input.focus();
    }
  }

  // ---- open / refresh -----------------------------------------------------------------
  async function open(id) {
    stopOwnTyping();
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

    const ui = buildHeader();
    ui.messages = h('div', { class: 'messages', role: 'log', 'aria-label': 'Messages', tabindex: '0' });
    ui.empty = h('p', { class: 'placeholder-inline' }, 'No messages yet.');
    ui.typing = h('div', { class: 'typing', testid: 'typing', 'aria-live': 'polite', hidden: true });
    ui.messages.append(ui.empty, ui.typing);
    const composer = buildComposer();
    state = {
      id, conv: data.conversation, ui, composer, ids: new Set(), nodes: new Map(),
      maxSeq: 0, readSeq: 0, typingTimer: null,
    };
    el.dataset.testid = 'conversation-view';
    el.dataset.id = id;
    el.replaceChildren(ui.header, ui.messages, composer.form);
    updateHeader();
    addMessages(data.messages || [], { forceScroll: true });
    const { frames } = loading;
    loading = { id: null, frames: [] };
    frames.forEach(applyEvent);
    scrollToBottom();
    markRead();
    composer.input.focus({ preventScroll: true });
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
    if (!state && event.conversation_id === loading.id && event.type !== 'typing') {
      loading.frames.push(event);
      return;
    }
    if (!state || event.conversation_id !== state.id) return;
    if (event.type === 'typing') {
      const d = event.data || {};
      if (d.author === 'member' && d.member_id === me.id) return;
      const who = d.author === 'visitor' ? 'Visitor' : (d.name || (d.author === 'ai' ? 'AI' : 'A teammate'));
      setTyping(d.typing ? `${who} is typing…` : null);
      return;
    }
    const data = event.data || {};
    if (data.conversation) applyConversation(data.conversation, false);
    if (event.type === 'message.created' && data.message) {
      if (addMessages([data.message])) markRead();
    }
    if (event.type === 'message.updated' && data.message) updateMessage(data.message);
  }

  /** A shown message changed (the visitor's thumbs): swap its feedback badge. */
  function updateMessage(msg) {
    const node = state.nodes.get(msg.seq);
    const meta = node && node.querySelector('.msg-meta');
    if (!meta) return;
    const old = meta.querySelector('.msg-feedback');
    const badge = feedbackBadge(msg);
    if (old) old.remove();
    if (badge) meta.append(badge);
  }

  /** The pane was hidden (another page): hiding loses the scroll position. */
  function reveal() {
    if (state) scrollToBottom();
  }

  function membersChanged(nextTeams) {
    if (Array.isArray(nextTeams)) teams = nextTeams;
    if (state) {
      fillAssignees(state.ui, state.conv);
      fillTeams(state.ui, state.conv);
    }
  }

  /** Called every few seconds so "Waiting 5m" stays true. */
  function tick() {
    if (state) updateSubtitle();
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
