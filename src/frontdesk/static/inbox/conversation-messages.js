// The open conversation's history: each message once, in seq order, as text; the typing line
// and the AI's draft (a model's reply while it is written, not stored until it is complete).

import { externalLink, h, safeUrl } from './dom.js';
import { clockTime, fullTime } from './format.js';

const TYPING_SHOWN_FOR = 8000; // hide a typing indicator that never got its "false"
const NEAR_BOTTOM = 120; // px

function authorLabel(msg, conv) {
  if (msg.author === 'visitor') return 'Visitor';
  if (msg.author === 'ai') return conv && conv.agent_name ? `${conv.agent_name} (AI)` : 'AI';
  return msg.author_name || 'Team member';
}

function renderCitations(citations) {
  if (!Array.isArray(citations) || citations.length === 0) return null;
  // The label the visitor saw (document and section or page); the file and place on hover.
  const items = citations.map((c) => {
    const label = c.label || c.title || c.source || 'Source';
    const url = safeUrl(c.url);
    const where = [c.source, c.location].filter(Boolean).join(' · ');
    const main = url
      ? externalLink(url, label, { class: 'citation', testid: 'citation', title: where ? `${where}\n${url}` : url })
      : h('span', { class: 'citation citation-plain', testid: 'citation', title: where || null }, label);
    return h('li', null, main);
  });
  return h('div', { class: 'citations' },
    h('span', { class: 'citations-label' }, 'Sources'),
    h('ol', { class: 'citation-list' }, items));
}

// Words, not emoji: Debian's Chromium (no emoji font) draws 👍 as an empty box.
const FEEDBACK = { up: ['Helpful', 'The visitor found this helpful'], down: ['Not helpful', 'The visitor found this not helpful'] };

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

/** The message log of one open conversation; maxSeq is the highest seq shown. */
export function createMessageList() {
  const el = h('div', { class: 'messages', role: 'log', 'aria-label': 'Messages', tabindex: '0' });
  const empty = h('p', { class: 'placeholder-inline' }, 'No messages yet.');
  const typing = h('div', { class: 'typing', testid: 'typing', 'aria-live': 'polite', hidden: true });
  const draftText = h('div', { class: 'msg-text', testid: 'draft-text' });
  const draftAuthor = h('span', { class: 'msg-author' });
  const draft = h('article', { class: 'msg msg-out msg-ai msg-draft', testid: 'draft', hidden: true },
    h('div', { class: 'msg-meta' }, draftAuthor, h('span', { class: 'msg-confidence' }, 'writing…')),
    h('div', { class: 'msg-bubble' }, draftText));
  el.append(empty, draft, typing);
  const ids = new Set();
  const nodes = new Map(); // seq -> node
  let typingTimer = null;
  const list = { el, maxSeq: 0, add, update, setTyping, setDraft, scrollToBottom };

  function nearBottom() {
    return el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM;
  }

  function scrollToBottom() {
    el.scrollTop = el.scrollHeight;
  }

  /** Adds messages not shown yet, in seq order. Returns how many were new. */
  function add(messages, conv, { forceScroll = false } = {}) {
    const stick = forceScroll || nearBottom();
    let added = 0;
    for (const msg of messages) {
      if (!msg || ids.has(msg.id) || nodes.has(msg.seq)) continue;
      const node = renderMessage(msg, conv);
      ids.add(msg.id);
      nodes.set(msg.seq, node);
      const after = [...nodes.keys()].filter((s) => s > msg.seq).sort((a, b) => a - b)[0];
      el.insertBefore(node, after === undefined ? draft : nodes.get(after));
      list.maxSeq = Math.max(list.maxSeq, msg.seq);
      if (msg.author === 'visitor') setTyping(null);
      added += 1;
    }
    if (added && stick) scrollToBottom();
    if (added) empty.hidden = true;
    return added;
  }

  /** A shown message changed (the visitor's thumbs): swap its feedback badge. */
  function update(msg) {
    const node = nodes.get(msg.seq);
    const meta = node && node.querySelector('.msg-meta');
    if (!meta) return;
    const old = meta.querySelector('.msg-feedback');
    const badge = feedbackBadge(msg);
    if (old) old.remove();
    if (badge) meta.append(badge);
  }

  /** The AI's reply while it is written (null: it ended: stored, refused or discarded). */
  function setDraft(text, name) {
    const stick = nearBottom();
    draftText.textContent = text || '';
    draftAuthor.textContent = name ? `${name} (AI)` : 'AI';
    draft.hidden = !text;
    if (text && stick) scrollToBottom();
  }

  function setTyping(text) {
    clearTimeout(typingTimer);
    typing.textContent = text || '';
    typing.hidden = !text;
    if (text) {
      const stick = nearBottom();
      typingTimer = setTimeout(() => setTyping(null), TYPING_SHOWN_FOR);
      if (stick) scrollToBottom();
    }
  }

  return list;
}
