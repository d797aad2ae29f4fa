// Team page: members, roles, invites.

import { api } from './api.js';
import { confirmButton, errorLine, h, option, secretBox, titleCase } from './dom.js';
import { fullTime, isManager, ROLES, timeUntil } from './format.js';

export function createTeamView({ session }) {
  const me = session.member;
  const manager = isManager(me);
  const pageError = errorLine('team-error');
  const membersBody = h('tbody');
  const invitesBody = h('tbody');
  const invitesSection = h('section', { class: 'card' });

  // Only an owner can hand out the owner role.
  const roleChoices = ROLES.filter((r) => me.role === 'owner' || r !== 'owner');

  // ---- members ------------------------------------------------------------------------
  function memberRow(member) {
    const self = member.id === me.id;
    let roleCell = h('span', { class: `badge badge-role badge-${member.role}` }, member.role);
    if (manager && !self && (me.role === 'owner' || member.role !== 'owner')) {
      const select = h('select', {
        class: 'select-small', testid: 'member-role', 'aria-label': `Role of ${member.name}`,
      }, roleChoices.map((r) => option(r, titleCase(r))));
      if (![...select.options].some((o) => o.value === member.role)) select.prepend(option(member.role, titleCase(member.role)));
      select.value = member.role;
      select.addEventListener('change', async () => {
        pageError.set('');
        select.disabled = true;
        try {
          const updated = await api.setMemberRole(member.id, select.value);
          member.role = updated.role;
        } catch (err) {
          pageError.set(err.message);
          select.value = member.role;
        } finally {
          select.disabled = false;
        }
      });
      roleCell = select;
    }
    const remove = manager && !self
      ? confirmButton({
        label: 'Remove',
        question: `Remove ${member.name}?`,
        testid: 'member-remove',
        onConfirm: async () => {
          pageError.set('');
          try {
            await api.removeMember(member.id);
            await loadMembers();
          } catch (err) {
            pageError.set(err.message);
          }
        },
      })
      : null;
    return h('tr', { testid: 'member-row', dataset: { id: member.id } },
      h('td', null, h('span', { class: 'member-name' }, member.name), self ? h('span', { class: 'muted' }, ' (you)') : null),
      h('td', { class: 'muted' }, member.email),
      h('td', null, roleCell),
      h('td', { class: 'cell-actions' }, remove));
  }

  async function loadMembers() {
    try {
      const data = await api.members();
      const members = Array.isArray(data) ? data : data.members || [];
      membersBody.replaceChildren(...members.map(memberRow));
    } catch (err) {
      pageError.set(`Could not load the team: ${err.message}`);
    }
  }

  // ---- invites ------------------------------------------------------------------------
  function inviteRow(invite) {
    return h('tr', { testid: 'invite-row', dataset: { id: invite.id } },
      h('td', null, invite.email),
      h('td', null, h('span', { class: `badge badge-role badge-${invite.role}` }, invite.role)),
      h('td', { class: 'muted', title: fullTime(invite.expires_at) }, timeUntil(invite.expires_at)),
      h('td', { class: 'cell-actions' }, confirmButton({
        label: 'Revoke',
        question: `Revoke the invite for ${invite.email}?`,
        testid: 'invite-revoke',
        onConfirm: async () => {
          pageError.set('');
          try {
            await api.revokeInvite(invite.id);
            await loadInvites();
          } catch (err) {
            pageError.set(err.message);
          }
        },
      })));
  }

  async function loadInvites() {
    try {
      const data = await api.invites();
      const invites = Array.isArray(data) ? data : data.invites || [];
      invitesBody.replaceChildren(...invites.map(inviteRow));
      if (!invites.length) {
        invitesBody.append(h('tr', null, h('td', { colspan: '4', class: 'muted' }, 'No pending invites.')));
      }
    } catch (err) {
      pageError.set(`Could not load invites: ${err.message}`);
    }
  }

  function inviteForm() {
    const email = h('input', {
      id: 'invite-email', type: 'email', required: true, testid: 'invite-email', autocomplete: 'off',
      placeholder: 'teammate@example.com',
    });
    const role = h('select', { id: 'invite-role', testid: 'invite-role', value: 'agent' },
      roleChoices.map((r) => option(r, titleCase(r))));
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'invite-submit' }, 'Create invite');
    const error = errorLine('invite-error');
    const result = h('div', { class: 'result', 'aria-live': 'polite' });
    const form = h('form', { class: 'inline-form' },
      h('div', { class: 'field' }, h('label', { for: 'invite-email' }, 'Email'), email),
      h('div', { class: 'field' }, h('label', { for: 'invite-role' }, 'Role'), role),
      h('div', { class: 'field field-button' }, submit));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.set('');
      result.replaceChildren();
      submit.disabled = true;
      try {
        const invite = await api.createInvite(email.value.trim(), role.value);
        result.replaceChildren(
          h('p', { class: 'notice' },
            'Send this link to ', h('strong', null, invite.email),
            '. It is shown only once', invite.expires_at ? ` and expires ${timeUntil(invite.expires_at)}` : '', '.'),
          secretBox(invite.url, 'invite-url'));
        email.value = '';
        loadInvites();
      } catch (err) {
        error.set(err.message);
      } finally {
        submit.disabled = false;
      }
    });
    return h('div', null, form, error.el, result);
  }

  const el = h('main', { class: 'page', 'aria-labelledby': 'team-title' },
    h('header', { class: 'page-header' },
      h('h1', { id: 'team-title' }, 'Team'),
      h('p', { class: 'muted' }, manager
        ? 'Invite teammates and choose what they can do. Agents answer conversations; admins also manage the team and API keys.'
        : 'The people in your workspace. Ask an owner or admin to change roles or invite someone.')),
    pageError.el,
    manager ? h('section', { class: 'card' }, h('h2', null, 'Invite a teammate'), inviteForm()) : null,
    h('section', { class: 'card' },
      h('h2', null, 'Members'),
      h('table', { class: 'table' },
        h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Email'), h('th', null, 'Role'),
          h('th', null, h('span', { class: 'visually-hidden' }, 'Actions')))),
        membersBody)),
    manager ? invitesSection : null);

  if (manager) {
    invitesSection.append(h('h2', null, 'Pending invites'),
      h('table', { class: 'table' },
        h('thead', null, h('tr', null, h('th', null, 'Email'), h('th', null, 'Role'), h('th', null, 'Expires'),
          h('th', null, h('span', { class: 'visually-hidden' }, 'Actions')))),
        invitesBody));
    loadInvites();
  }
  loadMembers();
  return { el };
}
