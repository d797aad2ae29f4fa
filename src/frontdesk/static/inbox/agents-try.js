// An agent's Try it tab: ask as a visitor would and see beside the answer what decided it —
// the passages and their scores, the confidence against the threshold, the handoff decision.

import { agentsApi } from './agents-api.js';
import { errorLine, externalLink, h, safeUrl } from './dom.js';

const TRIGGERS = {
  explicit_request: 'The visitor asked for a person',
  keyword: 'A keyword rule matched',
  topic: 'A topic rule matched',
  low_confidence: 'Confidence below the threshold',
  failed_attempts: 'Too many unanswered questions',
  max_messages: 'Message limit reached',
  sentiment: 'The visitor sounds frustrated',
  button: 'The visitor pressed “Talk to a person”',
};
const GENERATOR_LABEL = {
  extractive: 'Extractive (no model)', local: 'Local model', openai: 'OpenAI-compatible', anthropic: 'Anthropic',
  rules: 'None: a rule decided first',
};

const pct = (x) => `${Math.round(x * 100)}%`;

function meter(confidence, threshold) {
  const bar = h('div', { class: 'meter', role: 'img', 'aria-label': `Confidence ${pct(confidence)}, threshold ${pct(threshold)}` },
    h('div', { class: 'meter-fill' }), h('div', { class: 'meter-mark' }));
  bar.firstChild.style.width = pct(confidence);
  bar.firstChild.dataset.below = String(confidence < threshold);
  bar.lastChild.style.left = pct(threshold);
  return bar;
}

function fact(label, value, testid) {
  return h('div', { class: 'fact' }, h('dt', null, label), h('dd', { testid }, value));
}

/** The agent's escalation rules, each marked fired, not fired, off or not testable here. */
function rulesChecked(result, agent) {
  const rules = agent.rules || {};
  const handoff = result.handoff || { triggered: false };
  const fired = handoff.triggered ? handoff.trigger : null;
  const keywords = (rules.keywords || []).map((k) => k.phrase);
  const topics = (rules.topics || []).map((t) => t.name);
  const rows = [
    ['explicit_request', 'Visitor asks for a person', rules.explicit_request !== false, ''],
    ['keyword', 'Keywords', keywords.length > 0, keywords.join(', ')],
    ['topic', 'Topics', topics.length > 0, topics.join(', ')],
    ['sentiment', 'Frustration', rules.negative_sentiment !== false, ''],
    ['low_confidence', 'Confidence below threshold', true, ''],
    ['failed_attempts', 'Failed attempts', Boolean(rules.failed_attempts),
      rules.failed_attempts ? `after ${rules.failed_attempts}` : ''],
    ['max_visitor_messages', 'Message limit', Boolean(rules.max_visitor_messages),
      rules.max_visitor_messages ? `after ${rules.max_visitor_messages} messages` : ''],
  ];
  // One question has no history: the conversation-long rules cannot fire here.
  const conversational = new Set(['failed_attempts', 'max_visitor_messages']);
  return h('ul', { class: 'rules-checked', testid: 'try-rules' }, rows.map(([key, label, on, detail]) => {
    const trigger = key === 'max_visitor_messages' ? 'max_messages' : key;
    let state;
    if (!on) state = ['off', 'Off'];
    else if (fired === trigger) state = ['fired', 'Fired'];
    else if (conversational.has(key)) state = ['na', 'Needs a conversation'];
    else if (fired) state = ['skipped', 'Not fired'];
    else state = ['passed', 'Did not fire'];
    return h('li', { class: 'rule-row', testid: 'try-rule', dataset: { rule: trigger, state: state[0] } },
      h('span', { class: 'rule-label' }, label, detail ? h('span', { class: 'muted' }, ` — ${detail}`) : null),
      h('span', { class: 'rule-state', dataset: { state: state[0] } }, state[1]));
  }));
}

function renderAnswer(result, agent) {
  const threshold = result.threshold ?? agent.confidence_threshold;
  // A rule that hands off answers before any search: there is no confidence to judge.
  const byRule = result.generator === 'rules';
  const handoff = result.handoff || { triggered: false };
  const decision = handoff.triggered
    ? h('div', { class: 'decision decision-handoff', testid: 'try-handoff', dataset: { triggered: 'true' } },
      h('strong', null, 'Hands off to your team'),
      h('p', null, TRIGGERS[handoff.trigger] || handoff.trigger || ''),
      handoff.reason ? h('p', { class: 'muted', testid: 'try-handoff-reason' }, handoff.reason) : null,
      [handoff.priority && `Priority ${handoff.priority}`, handoff.team && `Team ${handoff.team}`,
        handoff.collect && `Collects form ${handoff.collect}`, handoff.tags && handoff.tags.length && `Tags ${handoff.tags.join(', ')}`]
        .filter(Boolean).map((t) => h('p', { class: 'muted' }, t)))
    : h('div', { class: 'decision decision-ai', testid: 'try-handoff', dataset: { triggered: 'false' } },
      h('strong', null, 'The AI answers'),
      h('p', { class: 'muted' }, result.answered === false
        ? 'It could not answer from your content (counts toward failed attempts).'
        : 'No escalation rule fired and the confidence cleared the threshold.'));

  const passages = result.citations.length
    ? h('ol', { class: 'passages', testid: 'try-passages' }, result.citations.map((c) => {
      const url = safeUrl(c.url);
      const label = c.label || c.title || c.source;
      return h('li', { class: 'passage', testid: 'try-passage' },
        h('div', { class: 'passage-head' },
          url ? externalLink(url, label, { class: 'passage-title' }) : h('span', { class: 'passage-title' }, label),
          h('span', { class: 'passage-score', testid: 'try-passage-score' }, c.score.toFixed(3))),
        h('div', { class: 'muted passage-source' }, [c.source, c.location].filter(Boolean).join(' · ')),
        h('p', { class: 'passage-text' }, c.snippet));
    }))
    : h('p', { class: 'muted', testid: 'try-passages-none' },
      byRule ? 'No search ran: a rule decided first.' : 'No passage of your content matched.');

  return h('div', { class: 'try-result', testid: 'try-result' },
    h('section', { class: 'card' },
      h('h2', null, 'Answer'),
      h('p', { class: 'try-answer', testid: 'try-answer' }, result.answer),
      result.gap ? h('p', { class: 'muted' }, 'Your content has no answer to this: in a real conversation it becomes a knowledge gap in Insights.') : null,
      h('dl', { class: 'facts' },
        fact('Confidence', byRule ? `not judged (threshold ${pct(threshold)})`
          : `${pct(result.confidence)} (threshold ${pct(threshold)})`, 'try-confidence'),
        fact('Generator', GENERATOR_LABEL[result.generator] || result.generator, 'try-generator'),
        fact('Model', result.model || '—', 'try-model'),
        fact('Tokens', `${result.tokens ?? 0} (${result.prompt_tokens} in, ${result.completion_tokens} out)`, 'try-tokens')),
      byRule ? null : meter(result.confidence, threshold),
      decision,
      h('h3', { class: 'rules-title' }, 'Rules checked'),
      rulesChecked(result, agent)),
    h('section', { class: 'card' }, h('h2', null, `Passages retrieved (${result.citations.length})`), passages));

}

export function createTryTab({ getAgent }) {
  const question = h('textarea', { rows: '2', id: 'try-question', testid: 'try-question', maxlength: '2000', placeholder: 'Ask what a visitor would ask…' });
  const ask = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'try-ask' }, 'Ask');
  const error = errorLine('try-error');
  const out = h('div', { class: 'try-out', 'aria-live': 'polite' });
  const form = h('form', { class: 'try-form' },
    h('label', { for: 'try-question' }, 'Question'), question,
    h('div', { class: 'settings-actions' }, ask,
      h('span', { class: 'muted' }, 'Nothing is saved: this does not start a conversation.')),
    error.el);
  question.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = question.value.trim();
    error.set('');
    if (!text) {
      question.focus();
      return;
    }
    const agent = getAgent();
    ask.disabled = true;
    ask.textContent = 'Asking…';
    try {
      out.replaceChildren(renderAnswer(await agentsApi.ask(agent.id, text), agent));
    } catch (err) {
      error.set(err.message);
    } finally {
      ask.disabled = false;
      ask.textContent = 'Ask';
    }
  });
  const el = h('div', { class: 'agent-try', testid: 'agent-try' }, h('section', { class: 'card' }, form), out);
  return { el, focus: () => question.focus() };
}
