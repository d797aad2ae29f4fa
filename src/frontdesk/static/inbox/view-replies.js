// Saved replies page: the team's canned responses. Everyone reads them (and inserts one by
// typing /shortcut in the composer); owners and admins add, edit and delete them.

import { request } from './api.js';
import { confirmButton, errorLine, h } from './dom.js';
import { isManager } from './format.js';

const PATH = '/api/v1/saved-replies';

/** Inputs for one reply and a way to show which of them the server refused. */
function replyFields(reply = {}) {
  const shortcut = h('input', {
    type: 'text', value: reply.shortcut || '', maxlength: '33', testid: 'reply-shortcut',
    'aria-label': 'Shortcut', placeholder: 'financing', class: 'reply-shortcut-input',
  });
  const title = h('input', {
    type: 'text', value: reply.title || '', maxlength: '120', testid: 'reply-title',
    'aria-label': 'Title', placeholder: 'Financing options',
  });
  const text = h('textarea', {
    rows: '3', testid: 'reply-text', 'aria-label': 'Reply text',
    placeholder: 'Hi {visitor.name}, this is {agent.name}. …',
  });
  text.value = reply.text || '';
  const inputs = { shortcut, title, text };
  return {
    inputs,
    values: () => ({ shortcut: shortcut.value, title: title.value, text: text.value }),
    mark(field) {
      for (const [name, input] of Object.entries(inputs)) {
        if (name === field) input.setAttribute('aria-invalid', 'true');
        else input.removeAttribute('aria-invalid');
      }
      if (inputs[field]) inputs[field].focus();
    },
  };
}

export function createRepliesView({ session }) {
  const manager = isManager(session.member);
  const pageError = errorLine('replies-error');
  const list = h('div', { class: 'reply-list', testid: 'reply-list' });

  async function save(fields, call) {
    pageError.set('');
    fields.mark(null);
    // Busy until the rows are drawn again: a click meanwhile would land on a row being replaced.
    list.setAttribute('aria-busy', 'true');
    try {
      await call(fields.values());
      await load();
      return true;
    } catch (err) {
      pageError.set(err.message);
      fields.mark(err.field);
      return false;
    } finally {
      list.removeAttribute('aria-busy');
    }
  }

  function row(reply) {
    if (!manager) {
      return h('div', { class: 'card reply-card', testid: 'reply-row', dataset: { shortcut: reply.shortcut } },
        h('div', null, h('code', null, `/${reply.shortcut}`), ' ', h('strong', null, reply.title)),
        h('p', { class: 'reply-card-text' }, reply.text));
    }
    const fields = replyFields(reply);
    const saveButton = h('button', { type: 'button', class: 'btn btn-secondary btn-small', testid: 'reply-save' }, 'Save');
    saveButton.addEventListener('click', () => save(fields,
      (values) => request('PATCH', `${PATH}/${encodeURIComponent(reply.id)}`, values)));
    const remove = confirmButton({
      label: 'Delete', question: `Delete /${reply.shortcut}?`, testid: 'reply-delete',
      onConfirm: async () => {
        pageError.set('');
        try {
          await request('DELETE', `${PATH}/${encodeURIComponent(reply.id)}`);
        } catch (err) {
          pageError.set(err.message);
        }
        await load();
      },
    });
    return h('div', { class: 'card reply-card', testid: 'reply-row', dataset: { shortcut: reply.shortcut } },
      h('div', { class: 'reply-card-head' }, h('span', { class: 'reply-slash' }, '/'), fields.inputs.shortcut, fields.inputs.title),
      fields.inputs.text,
      h('div', { class: 'reply-card-actions' }, saveButton, remove));
  }

  async function load() {
    try {
      const data = await request('GET', PATH);
      const replies = data.replies || [];
      list.replaceChildren(...replies.map(row));
      if (!replies.length) list.append(h('p', { class: 'muted' }, 'No saved replies yet.'));
    } catch (err) {
      pageError.set(`Could not load saved replies: ${err.message}`);
    }
  }

  let addForm = null;
  if (manager) {
    const fields = replyFields();
    const add = h('button', { type: 'submit', class: 'btn btn-primary btn-small', testid: 'reply-add' }, 'Add reply');
    addForm = h('form', { class: 'card reply-card', testid: 'reply-add-form', 'aria-label': 'New saved reply' },
      h('h2', { class: 'reply-form-title' }, 'New saved reply'),
      h('div', { class: 'reply-card-head' }, h('span', { class: 'reply-slash' }, '/'), fields.inputs.shortcut, fields.inputs.title),
      fields.inputs.text,
      h('div', { class: 'reply-card-actions' }, add));
    addForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (await save(fields, (values) => request('POST', PATH, values))) addForm.reset();
    });
  }

  const el = h('main', { class: 'page', 'aria-labelledby': 'replies-title' },
    h('header', { class: 'page-header' },
      h('h1', { id: 'replies-title' }, 'Saved replies'),
      h('p', { class: 'muted' }, 'Type /shortcut in a reply to insert one. ',
        h('code', null, '{visitor.name}'), ' becomes the name the visitor gave (else “there”), ',
        'and ', h('code', null, '{agent.name}'), ' your own name.',
        manager ? '' : ' Owners and admins edit the library.')),
    pageError.el,
    addForm,
    list);
  load();
  return { el };
}
