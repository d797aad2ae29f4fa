// Accept-invite page: /inbox/invite/{token}.

import { api } from './api.js';
import { errorLine, h } from './dom.js';
import { authFrame } from './view-login.js';

const MIN_PASSWORD = 8;

function workspaceName(info) {
  const ws = info.workspace;
  if (ws && typeof ws === 'object') return ws.name || 'your team';
  return typeof ws === 'string' && ws ? ws : 'your team';
}

export function createInviteView({ token, onSignedIn, onGoToLogin }) {
  const el = h('div', { class: 'auth-wrap' },
    authFrame('Join your team', null, h('p', { class: 'muted', role: 'status' }, 'Checking your invite…')));

  const showProblem = (message) => {
    const signIn = h('button', { type: 'button', class: 'btn btn-secondary btn-block' }, 'Go to sign in');
    signIn.addEventListener('click', onGoToLogin);
    el.replaceChildren(authFrame('Invite not available', null,
      h('p', { class: 'error-line', role: 'alert', testid: 'invite-error' }, message), signIn));
  };

  const showForm = (info) => {
    const field = (id, label, props) => [
      h('label', { for: id }, label),
      h('input', { id, ...props }),
    ];
    const [nameLabel, name] = field('accept-name', 'Your name', {
      type: 'text', autocomplete: 'name', required: true, maxlength: '200', testid: 'accept-name',
    });
    const [pwLabel, password] = field('accept-password', 'Password', {
      type: 'password', autocomplete: 'new-password', required: true, minlength: String(MIN_PASSWORD),
      testid: 'accept-password', 'aria-describedby': 'accept-password-hint',
    });
    const [confirmLabel, confirm] = field('accept-confirm', 'Confirm password', {
      type: 'password', autocomplete: 'new-password', required: true, testid: 'accept-confirm',
    });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'accept-submit' },
      'Join and sign in');
    const error = errorLine('accept-error');
    const form = h('form', { class: 'form', novalidate: true },
      h('p', { class: 'auth-invitee' }, 'Signing up as ', h('strong', { testid: 'accept-email' }, info.email || ''),
        info.role ? ` (${info.role})` : ''),
      nameLabel, name,
      pwLabel, password,
      h('p', { id: 'accept-password-hint', class: 'hint' }, `At least ${MIN_PASSWORD} characters.`),
      confirmLabel, confirm,
      error.el,
      submit);

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.set('');
      if (!name.value.trim()) {
        error.set('Please enter your name.');
        name.focus();
        return;
      }
      if (password.value.length < MIN_PASSWORD) {
        error.set(`The password needs at least ${MIN_PASSWORD} characters.`);
        password.focus();
        return;
      }
      if (password.value !== confirm.value) {
        error.set('The passwords do not match.');
        confirm.focus();
        return;
      }
      submit.disabled = true;
      submit.textContent = 'Joining…';
      try {
        const session = await api.acceptInvite(token, name.value.trim(), password.value);
        history.replaceState(null, '', '/inbox');
        onSignedIn(session);
      } catch (err) {
        error.set(err.message);
        submit.disabled = false;
        submit.textContent = 'Join and sign in';
      }
    });

    el.replaceChildren(authFrame(`Join ${workspaceName(info)} on Frontdesk`, null, form));
    name.focus();
  };

  api.inviteInfo(token).then(showForm, (err) => {
    showProblem(err.status === 404 || err.status === 410
      ? 'This invite link is invalid, has expired or was already used. Ask your admin for a new one.'
      : err.message);
  });

  return { el };
}
