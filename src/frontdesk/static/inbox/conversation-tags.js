// The open conversation's tags: chips with a remove button, and an input that suggests the
// workspace's tags.

import { api } from './api.js';
import { h } from './dom.js';

let tagEditors = 0; // a unique datalist id per tag editor

/** Black or white text, whichever reads better on a tag's colour. */
function readableOn(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.55 ? '#1b1f24' : '#ffffff';
}

/** error: the header's error line; view: {current(), applyConversation(conv)}. */
export function buildTagEditor(error, view) {
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
  // Submissions run one after another: a name typed while the previous one is still being
  // saved is neither dropped (a disabled submit button would swallow Enter) nor wiped when the
  // previous answer arrives.
  let queue = Promise.resolve();
  async function addName(name, current) {
    try {
      const conv = await api.addTag(current.id, name);
      if (view.current() !== current) return;
      if (input.value.trim() === name) input.value = '';
      view.applyConversation(conv);
      loadSuggestions();
    } catch (err) {
      if (view.current() === current) error.set(err.message);
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = input.value.trim();
    const current = view.current();
    if (!name || !current) return;
    error.set('');
    queue = queue.then(() => addName(name, current));
  });
  list.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-tag]');
    const current = view.current();
    if (!button || !current) return;
    error.set('');
    button.disabled = true;
    try {
      const conv = await api.removeTag(current.id, button.dataset.tag);
      if (view.current() === current) {
        view.applyConversation(conv);
        input.focus();
      }
    } catch (err) {
      if (view.current() === current) error.set(err.message);
      button.disabled = false;
    }
  });
  loadSuggestions();
  return editor;
}

export function renderTags(editor, conv) {
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
