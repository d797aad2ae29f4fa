// Entry point: decides between the invite page, the sign-in screen and the signed-in app.

import { api, onUnauthenticated, setCsrfToken } from './api.js';
import { h } from './dom.js';
import { LiveSocket } from './live.js';
import { createInviteView } from './view-invite.js';
import { createLoginView } from './view-login.js';
import { createShell } from './view-shell.js';

const root = document.getElementById('app');
let view = null;
let live = null;

function mount(next, kind) {
  if (view && view.destroy) view.destroy();
  view = { ...next, kind };
  root.replaceChildren(next.el);
  if (next.focus) next.focus();
}

function stopLive() {
  if (live) live.stop();
  live = null;
}

function showLogin(notice = '') {
  stopLive();
  setCsrfToken(null);
  document.title = 'Sign in — Frontdesk';
  mount(createLoginView({ onSignedIn: enterApp, notice }), 'login');
}

function enterApp(session) {
  if (!session || !session.member) {
    showLogin('The server sent an unexpected answer. Please try again.');
    return;
  }
  setCsrfToken(session.csrf_token);
  stopLive();
  live = new LiveSocket();
  live.on((frame) => {
    // A socket refused before "ready" may mean the session is gone: ask the server.
    if (frame.type === 'disconnected') {
      api.me().catch((err) => {
        if (err.status === 401) sessionEnded();
      });
    }
  });
  mount(createShell({ session, live, onSignOut: signOut, onSignedOut: showLogin }), 'app');
  live.start();
}

async function signOut() {
  try {
    await api.logout();
  } catch {
    // signed out locally either way
  }
  showLogin();
}

function sessionEnded() {
  if (view && view.kind !== 'app') return;
  showLogin('Your session has ended. Please sign in again.');
}

function inviteToken() {
  const match = location.pathname.match(/^\/inbox\/invite\/([^/]+)\/?$/);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

async function boot() {
  onUnauthenticated(sessionEnded);
  const token = inviteToken();
  if (token) {
    document.title = 'Join your team — Frontdesk';
    mount(createInviteView({
      token,
      onSignedIn: enterApp,
      onGoToLogin: () => {
        history.replaceState(null, '', '/inbox');
        boot();
      },
    }), 'invite');
    return;
  }
  try {
    enterApp(await api.me());
  } catch (err) {
    if (err.status === 401) showLogin();
    else showLogin(`Could not reach the Frontdesk API (${err.status ? `HTTP ${err.status}` : 'network error'}). ${err.message}`);
  }
}

boot().catch((err) => {
  console.error(err);
  root.replaceChildren(h('div', { class: 'boot', role: 'alert' },
    'The inbox failed to start. Please reload the page.'));
});
