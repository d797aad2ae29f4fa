// Sign-in screen.

import { api } from './api.js';
import { errorLine, h } from './dom.js';

export function authFrame(title, subtitle, ...content) {
  return h('main', { class: 'auth' },
    h('div', { class: 'auth-card' },
      h('div', { class: 'brand brand-auth' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'F'), 'Frontdesk'),
      h('h1', { class: 'auth-title' }, title),
      subtitle ? h('p', { class: 'auth-subtitle' }, subtitle) : null,
      ...content));
}

/** notice: an optional message shown above the form (session ended, server unreachable…). */
export function createLoginView({ onSignedIn, notice = '' }) {
  const email = h('input', {
    id: 'login-email', type: 'email', name: 'email', autocomplete: 'username', required: true,
    testid: 'login-email',
  });
  const password = h('input', {
    id: 'login-password', type: 'password', name: 'password', autocomplete: 'current-password',
    required: true, testid: 'login-password',
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'login-submit' },
    'Sign in');
  const error = errorLine('login-error');
  error.set(notice);

  const form = h('form', { class: 'form', novalidate: false },
    h('label', { for: 'login-email' }, 'Email'), email,
    h('label', { for: 'login-password' }, 'Password'), password,
    error.el,
    submit);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.set('');
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      const session = await api.login(email.value.trim(), password.value);
      onSignedIn(session);
    } catch (err) {
      error.set(err.status === 401 ? (err.message || 'Wrong email or password.') : err.message);
      password.select();
      submit.disabled = false;
      submit.textContent = 'Sign in';
    }
  });

  const el = authFrame('Sign in to your inbox', null, form);
  return { el, focus: () => email.focus() };
}
