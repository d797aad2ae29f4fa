// Team page: members (with live presence), roles, invites, and teams with routing.

import { api } from './api.js';
import { confirmButton, errorLine, h, option, secretBox, titleCase } from './dom.js';
import { fullTime, isManager, ROLES, timeUntil } from './format.js';

const PRESENCE_LABEL = { online: 'Online', away: 'Away', offline: 'Offline' };

function presenceBadge(presence, testid) {
  const value = presence || 'offline';
  return h('span', { class: 'presence', testid, dataset: { presence: value } },
    h('span', { class: 'presence-dot', dataset: { presence: value }, 'aria-hidden': 'true' }),
    PRESENCE_LABEL[value] || value);
}

export function createTeamView({ session, live }) {
  const me = session.member;
  let members = [];
  let teams = [];
  const teamsList = h('div', { testid: 'teams' });
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
      h('td', null, presenceBadge(member.presence, 'member-presence')),
      h('td', null, roleCell),
      h('td', { class: 'cell-actions' }, remove));
  }

  async function loadMembers() {
    try {
      const data = await api.members();
      members = Array.isArray(data) ? data : data.members || [];
      membersBody.replaceChildren(...members.map(memberRow));
      renderTeams();
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
        h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Email'), h('th', null, 'Presence'),
          h('th', null, 'Role'), h('th', null, h('span', { class: 'visually-hidden' }, 'Actions')))),
        membersBody)),
    h('section', { class: 'card' },
      h('h2', null, 'Teams'),
      h('p', { class: 'muted' }, 'A rule naming a team (team: Finance) or a tag the team routes sends a handoff to it. '
        + 'With auto-assign, each handoff goes round-robin to the next online member below the limit; when nobody '
        + 'in the team is online the visitor is told so and asked for their details.'),
      teamsList,
      manager ? teamForm(null) : null),
    manager ? invitesSection : null);

  if (manager) {
    invitesSection.append(h('h2', null, 'Pending invites'),
      h('table', { class: 'table' },
        h('thead', null, h('tr', null, h('th', null, 'Email'), h('th', null, 'Role'), h('th', null, 'Expires'),
          h('th', null, h('span', { class: 'visually-hidden' }, 'Actions')))),
        invitesBody));
    loadInvites();
  }
  // ---- teams --------------------------------------------------------------------------
  function memberPicks(selected) {
    const boxes = members.map((m) => {
      const box = h('input', { type: 'checkbox', value: m.id, testid: 'team-member-pick' });
      box.checked = selected.has(m.id);
      return [m, box];
    });
    const el = h('div', { class: 'member-picks' },
      boxes.map(([m, box]) => h('label', null, box, ' ', m.name)));
    return { el, value: () => boxes.filter(([, box]) => box.checked).map(([m]) => m.id) };
  }

  /** The form to create a team (team null) or change one. */
  function teamForm(team) {
    const name = h('input', { type: 'text', required: true, maxlength: '80', testid: 'team-name', value: team ? team.name : '', 'aria-label': 'Team name', placeholder: 'Finance' });
    const picks = memberPicks(new Set(team ? team.members.map((m) => m.id) : []));
    const auto = h('input', { type: 'checkbox', testid: 'team-auto-assign' });
    auto.checked = Boolean(team && team.auto_assign);
    const limit = h('input', { type: 'number', min: '1', max: '500', testid: 'team-max-open', value: String(team ? team.max_open : 5), class: 'input-narrow', 'aria-label': 'Open conversations per member' });
    const routeTags = h('input', { type: 'text', testid: 'team-route-tags', value: team ? team.route_tags.join(', ') : '', placeholder: 'financing, trade-in', 'aria-label': 'Route tags' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary btn-small', testid: 'team-save' }, team ? 'Save' : 'Create team');
    const error = errorLine('team-form-error');
    const form = h('form', { class: 'team-form', testid: team ? 'team-edit' : 'team-create' },
      h('div', { class: 'team-settings' },
        team ? null : h('label', null, 'Name ', name),
        h('label', null, auto, ' Auto-assign'),
        h('label', null, 'Limit per member ', limit),
        h('label', null, 'Route tags ', routeTags)),
      h('div', { class: 'field' }, h('span', { class: 'control-label' }, 'Members'), picks.el),
      h('div', { class: 'team-settings' }, save), error.el);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.set('');
      save.disabled = true;
      const body = {
        members: picks.value(),
        auto_assign: auto.checked,
        max_open: Number(limit.value) || 1,
        route_tags: routeTags.value.split(',').map((t) => t.trim()).filter(Boolean),
      };
      try {
        if (team) await api.updateTeam(team.id, body);
        else await api.createTeam({ ...body, name: name.value.trim() });
        if (!team) name.value = '';
        await loadTeams();
      } catch (err) {
        error.set(err.message);
      } finally {
        save.disabled = false;
      }
    });
    return form;
  }

  function teamCard(team) {
    const remove = manager ? confirmButton({
      label: 'Delete',
      question: `Delete the team ${team.name}? Its conversations stay, without a team.`,
      testid: 'team-delete',
      onConfirm: async () => {
        pageError.set('');
        try {
          await api.deleteTeam(team.id);
          await loadTeams();
        } catch (err) {
          pageError.set(err.message);
        }
      },
    }) : null;
    const people = team.members.map((m) => h('li', { testid: 'team-member', dataset: { id: m.id } },
      presenceBadge(m.presence, 'team-member-presence'), ' ', m.name,
      h('span', { class: 'muted' }, ` · ${m.open_conversations} open`)));
    const online = team.members.filter((m) => m.presence === 'online').length;
    return h('article', { class: 'team-card', testid: 'team-card', dataset: { id: team.id } },
      h('h3', null, team.name, ' ', h('span', { class: 'muted', testid: 'team-online' }, `${online} of ${team.members.length} online`)),
      h('p', { class: 'muted' },
        team.auto_assign ? `Auto-assigns round-robin, up to ${team.max_open} open each` : 'No auto-assignment',
        team.route_tags.length ? ` · routes tags: ${team.route_tags.join(', ')}` : ''),
      people.length ? h('ul', { class: 'team-members' }, people) : h('p', { class: 'muted' }, 'No members yet.'),
      manager ? h('details', null, h('summary', null, 'Edit'), teamForm(team)) : null,
      remove);
  }

  function renderTeams() {
    teamsList.replaceChildren(...(teams.length ? teams.map(teamCard) : [h('p', { class: 'muted' }, 'No teams yet.')]));
  }

  async function loadTeams() {
    try {
      const data = await api.teams();
      teams = data.teams || [];
      renderTeams();
    } catch (err) {
      pageError.set(`Could not load teams: ${err.message}`);
    }
  }

  // Presence is live: update the badges where they are, without reloading.
  const unsubscribe = live ? live.on((frame) => {
    if (frame.type !== 'member.presence' || !frame.data || !frame.data.member) return;
    const { id, presence } = frame.data.member;
    const member = members.find((m) => m.id === id);
    if (member) member.presence = presence;
    for (const team of teams) for (const m of team.members) if (m.id === id) m.presence = presence;
    for (const row of membersBody.querySelectorAll('[data-testid="member-row"]')) {
      if (row.dataset.id === id) row.querySelector('[data-testid="member-presence"]').replaceWith(presenceBadge(presence, 'member-presence'));
    }
    // In place, so an edit form open on a team card stays as it is.
    for (const card of teamsList.querySelectorAll('[data-testid="team-card"]')) {
      const team = teams.find((t) => t.id === card.dataset.id);
      if (!team) continue;
      for (const item of card.querySelectorAll('[data-testid="team-member"]')) {
        if (item.dataset.id === id) item.querySelector('[data-testid="team-member-presence"]').replaceWith(presenceBadge(presence, 'team-member-presence'));
      }
      const online = team.members.filter((m) => m.presence === 'online').length;
      card.querySelector('[data-testid="team-online"]').textContent = `${online} of ${team.members.length} online`;
    }
  }) : () => {};

  loadMembers().then(loadTeams);
  return { el, destroy: unsubscribe };
}
