// Signed-in layout: sidebar navigation, the hash router (#/inbox[/id], #/agents[/id/tab], #/team,
// #/tags, #/apikeys, #/webhooks, #/secrets, #/usage, #/insights, #/account), my presence and the
// global waiting alerts.

import {
  alertWaiting, becameWaiting, isMuted, notificationPermission,
  requestNotifications, setMuted, unlockAudio,
} from './alerts.js';
import { api } from './api.js';
import { h } from './dom.js';
import { createAccountView } from './view-account.js';
import { createAgentsView } from './view-agents.js';
import { createApiKeysView } from './view-apikeys.js';
import { createInbox } from './view-inbox.js';
import { createInsightsView } from './view-insights.js';
import { createRepliesView } from './view-replies.js';
import { createSecretsView } from './view-secrets.js';
import { createTagsView } from './view-tags.js';
import { createTeamView } from './view-team.js';
import { createUsageView } from './view-usage.js';
import { createWebhooksView } from './view-webhooks.js';

const PAGES = {
  agents: { title: 'Agents', create: createAgentsView },
  team: { title: 'Team', create: createTeamView },
  tags: { title: 'Tags', create: createTagsView },
  replies: { title: 'Saved replies', create: createRepliesView },
  apikeys: { title: 'API keys', create: createApiKeysView },
  webhooks: { title: 'Alerts', create: createWebhooksView },
  secrets: { title: 'Secrets', create: createSecretsView },
  usage: { title: 'Usage', create: createUsageView },
  insights: { title: 'Insights', create: createInsightsView },
  account: { title: 'Account', create: createAccountView },
};

function parseRoute(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/');
  if (Object.hasOwn(PAGES, parts[0])) return { page: parts[0], conv: null };
  let conv = null;
  if (parts[0] === 'inbox' && parts[1]) {
    try {
      conv = decodeURIComponent(parts[1]);
    } catch {
      conv = null;
    }
  }
  return { page: 'inbox', conv };
}

function conversationHash(id) {
  return id ? `#/inbox/${encodeURIComponent(id)}` : '#/inbox';
}

export function createShell({ session, live, onSignOut, onSignedOut }) {
  const me = session.member;
  const workspace = session.workspace || {};

  // ---- sidebar ------------------------------------------------------------------------
  const navLink = (page, label) => h('a', { href: `#/${page}`, class: 'nav-link', testid: `nav-${page}` }, label);
  const nav = {
    inbox: navLink('inbox', 'Inbox'),
    // Setting up agents (content, settings, install) is for owners and admins.
    ...(['owner', 'admin'].includes(me.role) ? { agents: navLink('agents', 'Agents') } : {}),
    team: navLink('team', 'Team'),
    tags: navLink('tags', 'Tags'),
    replies: navLink('replies', 'Saved replies'),
    apikeys: navLink('apikeys', 'API keys'),
    webhooks: navLink('webhooks', 'Alerts'),
    secrets: navLink('secrets', 'Secrets'),
    usage: navLink('usage', 'Usage'),
    // Reports read every conversation: owners and admins only.
    ...(['owner', 'admin'].includes(me.role) ? { insights: navLink('insights', 'Insights') } : {}),
  };

  const liveStatus = h('span', { class: 'live-status', testid: 'live-status', role: 'status' });
  const unsubscribeState = live.onState((state) => {
    liveStatus.dataset.state = state;
    liveStatus.textContent = { open: 'Live', connecting: 'Connecting…', closed: 'Offline, retrying…' }[state];
  });

  const notifyButton = h('button', { type: 'button', class: 'side-button', testid: 'enable-notifications' });
  function updateNotifyButton() {
    const permission = notificationPermission();
    notifyButton.hidden = permission === 'unsupported';
    notifyButton.disabled = permission !== 'default';
    notifyButton.textContent = {
      default: 'Enable notifications', granted: 'Notifications on', denied: 'Notifications blocked',
    }[permission] || '';
    notifyButton.title = permission === 'denied' ? 'Allow notifications for this site in your browser settings.' : '';
  }
  notifyButton.addEventListener('click', async () => {
    unlockAudio();
    await requestNotifications();
    updateNotifyButton();
  });
  updateNotifyButton();

  const soundButton = h('button', { type: 'button', class: 'side-button', testid: 'sound-toggle' });
  function updateSoundButton() {
    soundButton.setAttribute('aria-pressed', String(!isMuted()));
    soundButton.textContent = isMuted() ? 'Sound off' : 'Sound on';
  }
  soundButton.addEventListener('click', () => {
    setMuted(!isMuted());
    unlockAudio();
    updateSoundButton();
  });
  updateSoundButton();

  // My presence: online or away while this inbox is open (offline once it closes).
  const presenceDot = h('span', { class: 'presence-dot', 'aria-hidden': 'true' });
  const presenceSelect = h('select', { testid: 'presence-select', 'aria-label': 'Your presence' },
    h('option', { value: 'online' }, 'Online'), h('option', { value: 'away' }, 'Away'));
  const presenceControl = h('label', { class: 'presence-control' }, presenceDot, presenceSelect);
  function showPresence(presence) {
    presenceDot.dataset.presence = presence;
    if (presence !== 'offline') presenceSelect.value = presence;
  }
  showPresence(me.presence || 'offline');
  presenceSelect.addEventListener('change', async () => {
    presenceSelect.disabled = true;
    try {
      showPresence((await api.setPresence(presenceSelect.value)).presence);
    } catch {
      showPresence(presenceDot.dataset.presence);
    } finally {
      presenceSelect.disabled = false;
    }
  });
  const unsubscribePresence = live.on((frame) => {
    if (frame.type === 'member.presence' && frame.data && frame.data.member && frame.data.member.id === me.id) {
      showPresence(frame.data.member.presence);
    }
  });

  const signOut = h('button', { type: 'button', class: 'side-button', testid: 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', () => {
    signOut.disabled = true;
    onSignOut();
  });

  // Who I am, and the way to my account page (password, sign out everywhere).
  const meLink = h('a', { class: 'me', href: '#/account', testid: 'me', title: 'Your account' },
    h('span', { class: 'me-avatar', 'aria-hidden': 'true' }, (me.name || me.email || '?').trim().charAt(0).toUpperCase()),
    h('span', { class: 'me-text' },
      h('span', { class: 'me-name' }, me.name || me.email),
      h('span', { class: 'me-role' }, me.role)));

  const sidebar = h('nav', { class: 'sidebar', 'aria-label': 'Main' },
    h('div', { class: 'brand' },
      h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'F'),
      h('span', { class: 'brand-text' },
        h('span', { class: 'brand-name' }, 'Frontdesk'),
        workspace.name ? h('span', { class: 'brand-workspace' }, workspace.name) : null)),
    h('ul', { class: 'nav-list' }, Object.values(nav).map((link) => h('li', null, link))),
    h('div', { class: 'sidebar-bottom' },
      liveStatus,
      presenceControl,
      notifyButton,
      soundButton,
      meLink,
      signOut));

  // ---- pages --------------------------------------------------------------------------
  const inbox = createInbox({ session, live });
  const pageHost = h('div', { class: 'page-host', hidden: true });
  const content = h('div', { class: 'content' }, inbox.el, pageHost);
  let page = null;
  let pageName = null;

  function route() {
    const { page: name, conv } = parseRoute(location.hash);
    for (const [key, link] of Object.entries(nav)) {
      if (key === name) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    if (name === 'account') meLink.setAttribute('aria-current', 'page');
    else meLink.removeAttribute('aria-current');
    if (name === 'inbox') {
      inbox.el.hidden = false;
      pageHost.hidden = true;
      if (page && page.destroy) page.destroy();
      page = null;
      pageName = null;
      inbox.show(conv);
      // Coming back from another page reopens the conversation that was open.
      nav.inbox.setAttribute('href', conversationHash(conv));
      document.title = 'Inbox — Frontdesk';
      return;
    }
    inbox.el.hidden = true;
    pageHost.hidden = false;
    if (pageName !== name) {
      if (page && page.destroy) page.destroy();
      page = PAGES[name].create({ session, live, onSignedOut });
      pageName = name;
      pageHost.replaceChildren(page.el);
    }
    document.title = `${PAGES[name].title} — Frontdesk`;
  }

  // Waiting alerts ring on every page, not only the inbox.
  // A conversation routed to a team alerts that team's members only.
  let myTeams = null;
  function loadMyTeams() {
    api.teams().then((data) => {
      myTeams = new Set((data.teams || []).filter((t) => t.members.some((m) => m.id === me.id)).map((t) => t.id));
    }).catch(() => {});
  }
  loadMyTeams();
  const unsubscribeAlerts = live.on((frame) => {
    if (!becameWaiting(frame)) return;
    const conv = frame.data.conversation;
    if (conv.team && myTeams && !myTeams.has(conv.team.id)) return;
    alertWaiting(conv, (id) => { location.hash = conversationHash(id); });
  });
  const unlock = () => unlockAudio();
  document.addEventListener('pointerdown', unlock, { once: true });
  document.addEventListener('keydown', unlock, { once: true });

  window.addEventListener('hashchange', route);
  window.addEventListener('focus', loadMyTeams);
  const el = h('div', { class: 'shell' }, sidebar, content);
  route();

  return {
    el,
    destroy() {
      window.removeEventListener('hashchange', route);
      window.removeEventListener('focus', loadMyTeams);
      document.removeEventListener('pointerdown', unlock);
      document.removeEventListener('keydown', unlock);
      unsubscribeAlerts();
      unsubscribePresence();
      unsubscribeState();
      if (page && page.destroy) page.destroy();
      inbox.destroy();
    },
  };
}
