// Account page: change my password (my other sessions end) and sign out everywhere.

import { api } from './api.js';
import { confirmButton, errorLine, h } from './dom.js';

const MIN_PASSWORD = 8;

/** A labelled password input with its own error line (aria-invalid while it shows one). */
function passwordField(id, label, autocomplete, hint = null) {
  const error = errorLine(`${id}-error`);
  error.el.id = `${id}-error`;
  const input = h('input', {
    id, type: 'password', autocomplete, required: true, testid: id,
    'aria-describedby': [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(' '),
  });
  return {
    input,
    els: [
      h('label', { for: id }, label),
      input,
      hint ? h('p', { id: `${id}-hint`, class: 'hint' }, hint) : null,
      error.el,
    ],
    set(message) {
      error.set(message);
      if (message) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    },
  };
}

export function createAccountView({ session, onSignedOut }) {
  const me = session.member;

  const current = passwordField('account-current', 'Current password', 'current-password');
  const next = passwordField('account-new', 'New password', 'new-password',
    `At least ${MIN_PASSWORD} characters.`);
  const confirm = passwordField('account-confirm', 'Confirm new password', 'new-password');
  const fields = { current_password: current, new_password: next };
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'account-password-save' },
    'Change password');
  const formError = errorLine('account-password-error');
  const done = h('p', { class: 'muted account-done', role: 'status', testid: 'account-password-saved' });
  const form = h('form', { class: 'form account-form', novalidate: true },
    h('input', { type: 'email', autocomplete: 'username', value: me.email, hidden: true, readonly: true }),
    current.els, next.els, confirm.els, formError.el, submit);

  function problems() {
    const found = [];
    if (!current.input.value) found.push([current, 'Enter your current password.']);
    if (next.input.value.length < MIN_PASSWORD) {
      found.push([next, `The new password needs at least ${MIN_PASSWORD} characters.`]);
    } else if (next.input.value !== confirm.input.value) {
      found.push([confirm, 'The passwords do not match.']);
    }
    return found;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const field of [current, next, confirm]) field.set('');
    formError.set('');
    done.textContent = '';
    const found = problems();
    if (found.length) {
      for (const [field, message] of found) field.set(message);
      found[0][0].input.focus();
      return;
    }
    submit.disabled = true;
    try {
      await api.changePassword(current.input.value, next.input.value);
      form.reset();
      done.textContent = 'Password changed. Your other sessions have been signed out.';
    } catch (err) {
      const field = fields[err.field];
      if (field) {
        field.set(err.message);
        field.input.select();
      } else {
        formError.set(err.message);
      }
    } finally {
      submit.disabled = false;
    }
  });

  const everywhereError = errorLine('sign-out-everywhere-error');
  const everywhere = confirmButton({
    label: 'Sign out everywhere',
    question: 'End every session of yours, this one included?',
    testid: 'sign-out-everywhere',
    onConfirm: async () => {
      everywhereError.set('');
      try {
        await api.logoutAll();
        onSignedOut('You have been signed out everywhere. Sign in again to continue.');
      } catch (err) {
        everywhereError.set(err.message);
      }
    },
  });

  const el = h('main', { class: 'page', 'aria-labelledby': 'account-title' },
    h('header', { class: 'page-header' },
      h('h1', { id: 'account-title' }, 'Account'),
      h('p', { class: 'muted' }, 'Signed in as ', h('strong', { testid: 'account-email' }, me.email),
        ` (${me.role}).`)),
    h('section', { class: 'card', 'aria-labelledby': 'account-password-title' },
      h('h2', { id: 'account-password-title' }, 'Change password'),
      h('p', { class: 'muted' }, 'Every other browser signed in as you is signed out; this one stays.'),
      form, done),
    h('section', { class: 'card', 'aria-labelledby': 'account-sessions-title' },
      h('h2', { id: 'account-sessions-title' }, 'Sessions'),
      h('p', { class: 'muted' },
        'Lost a device, or signed in on a shared computer? End every session of yours, including this one.'),
      h('div', { class: 'account-actions' }, everywhere),
      everywhereError.el));

  return { el };
}
