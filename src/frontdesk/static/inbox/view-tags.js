// Tags page: the workspace's tag catalog. Everyone sees it; owners and admins rename,
// recolour, merge and delete (every conversation carrying a tag follows).

import { api } from './api.js';
import { confirmButton, errorLine, h, option } from './dom.js';
import { isManager } from './format.js';

const COLOR = /^#[0-9a-f]{6}$/i;

export function createTagsView({ session }) {
  const manager = isManager(session.member);
  const pageError = errorLine('tags-error');
  const body = h('tbody');
  let tags = [];

  async function run(call) {
    pageError.set('');
    // Busy until the rows are drawn again: a click meanwhile would land on a row being replaced.
    body.setAttribute('aria-busy', 'true');
    try {
      await call();
    } catch (err) {
      pageError.set(err.message);
    }
    await load();
    body.removeAttribute('aria-busy');
  }

  function tagRow(tag) {
    const count = h('td', { class: 'muted', testid: 'tag-count' },
      `${tag.conversations} conversation${tag.conversations === 1 ? '' : 's'}`);
    if (!manager) {
      return h('tr', { testid: 'tag-row', dataset: { name: tag.name } },
        h('td', null, h('span', { class: 'tag-swatch', style: COLOR.test(tag.color) ? `background:${tag.color}` : null }), ' ', tag.name), count);
    }
    const color = h('input', { type: 'color', value: tag.color, testid: 'tag-color', 'aria-label': `Colour of ${tag.name}` });
    color.addEventListener('change', () => run(() => api.updateTag(tag.id, { color: color.value })));
    const name = h('input', { type: 'text', value: tag.name, maxlength: '40', testid: 'tag-rename', 'aria-label': `Name of ${tag.name}` });
    const rename = h('button', { type: 'button', class: 'btn btn-ghost btn-small', testid: 'tag-rename-save' }, 'Rename');
    rename.addEventListener('click', () => run(() => api.updateTag(tag.id, { name: name.value })));
    name.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') rename.click();
    });
    const into = h('select', { class: 'select-small', testid: 'tag-merge-into', 'aria-label': `Merge ${tag.name} into` },
      option('', 'Merge into…'), tags.filter((t) => t.id !== tag.id).map((t) => option(t.id, t.name)));
    const merge = h('button', { type: 'button', class: 'btn btn-ghost btn-small', testid: 'tag-merge' }, 'Merge');
    merge.addEventListener('click', () => {
      if (into.value) run(() => api.mergeTag(tag.id, into.value));
    });
    const remove = confirmButton({
      label: 'Delete',
      question: `Delete ${tag.name}? It is removed from ${tag.conversations} conversation(s).`,
      testid: 'tag-delete',
      onConfirm: () => run(() => api.deleteTag(tag.id)),
    });
    return h('tr', { testid: 'tag-row', dataset: { name: tag.name } },
      h('td', null, color, ' ', name, ' ', rename),
      count,
      h('td', { class: 'cell-actions' }, into, ' ', merge, ' ', remove));
  }

  async function load() {
    try {
      const data = await api.tags();
      tags = data.tags || [];
      body.replaceChildren(...tags.map(tagRow));
      if (!tags.length) body.append(h('tr', null, h('td', { colspan: '3', class: 'muted' }, 'No tags yet: rules and members create them.')));
    } catch (err) {
      pageError.set(`Could not load tags: ${err.message}`);
    }
  }

  const el = h('main', { class: 'page', 'aria-labelledby': 'tags-title' },
    h('header', { class: 'page-header' },
      h('h1', { id: 'tags-title' }, 'Tags'),
      h('p', { class: 'muted' }, manager
        ? 'Rename, recolour, merge or delete tags; every conversation carrying one follows. A tag a rule still names comes back when the rule matches: change the rule too.'
        : 'The workspace\u2019s tags. Owners and admins can rename, merge and delete them.')),
    pageError.el,
    h('section', { class: 'card' },
      h('table', { class: 'table' },
        h('thead', null, h('tr', null, h('th', null, 'Tag'), h('th', null, 'Used by'),
          manager ? h('th', null, h('span', { class: 'visually-hidden' }, 'Actions')) : null)),
        body)));
  load();
  return { el };
}
