// Agents page (owners and admins): the list, a new agent, and each agent's tabs —
// #/agents, #/agents/{id}/{settings|content|try|install}.

import { agentsApi } from './agents-api.js';
import { createContentTab } from './agents-content.js';
import { createInstallTab } from './agents-install.js';
import { createSettingsTab } from './agents-settings.js';
import { createTryTab } from './agents-try.js';
import { errorLine, h } from './dom.js';
import { isManager } from './format.js';

const TABS = [
  { key: 'settings', label: 'Settings', create: createSettingsTab },
  { key: 'content', label: 'Content', create: createContentTab },
  { key: 'try', label: 'Try it', create: createTryTab },
  { key: 'install', label: 'Install', create: createInstallTab },
];

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  let id = null;
  try {
    id = parts[1] ? decodeURIComponent(parts[1]) : null;
  } catch {
    id = null;
  }
  const tab = TABS.some((t) => t.key === parts[2]) ? parts[2] : 'settings';
  return { id, tab };
}

const agentHash = (id, tab = 'settings') => `#/agents/${encodeURIComponent(id)}/${tab}`;

export function createAgentsView({ session }) {
  const el = h('main', { class: 'page page-wide agents-page', 'aria-labelledby': 'agents-title', testid: 'agents-page' });
  if (!isManager(session.member)) {
    el.append(h('header', { class: 'page-header' }, h('h1', { id: 'agents-title' }, 'Agents')),
      h('section', { class: 'card' },
        h('p', { class: 'muted', testid: 'agents-forbidden' }, 'Only owners and admins can set up agents.')));
    return { el };
  }

  let agents = [];
  let current = null; // { id, tab, view }
  const pageError = errorLine('agents-error');
  const list = h('ul', { class: 'agent-list', testid: 'agent-list' });
  const detail = h('div', { class: 'agent-detail' });

  // ---- new agent ----------------------------------------------------------------------
  const newName = h('input', {
    id: 'agent-new-name', type: 'text', maxlength: '120', required: true, testid: 'agent-new-name',
    placeholder: 'e.g. Sales assistant', autocomplete: 'off',
  });
  const createButton = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'agent-create' }, 'Create agent');
  const createError = errorLine('agent-create-error');
  const createForm = h('form', { class: 'agent-new' },
    h('label', { for: 'agent-new-name' }, 'New agent'),
    h('div', { class: 'agent-new-row' }, newName, createButton),
    createError.el);
  createForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    createError.set('');
    const name = newName.value.trim();
    if (!name) {
      createError.set('Give the agent a name.');
      newName.focus();
      return;
    }
    createButton.disabled = true;
    try {
      const agent = await agentsApi.create({ name });
      newName.value = '';
      // Read again, not appended: a list still loading from before would drop it.
      await loadList();
      location.hash = agentHash(agent.id, 'content');
    } catch (err) {
      createError.set(err.message);
    } finally {
      createButton.disabled = false;
    }
  });

  // ---- import -------------------------------------------------------------------------
  const importInput = h('input', { type: 'file', accept: '.yaml,.yml,application/yaml,text/yaml', testid: 'agent-import-file', class: 'visually-hidden', id: 'agent-import-file' });
  const importError = errorLine('agent-import-error');
  importInput.addEventListener('change', async () => {
    const file = importInput.files[0];
    importInput.value = '';
    if (!file) return;
    importError.set('');
    try {
      const agent = await agentsApi.importFile(await file.text());
      await loadList();
      location.hash = agentHash(agent.id);
      if (current && current.id === agent.id) showDetail(true);
    } catch (err) {
      importError.set(err.message);
    }
  });
  const importLabel = h('label', { for: 'agent-import-file', class: 'btn btn-secondary btn-small' }, 'Import agent file');

  function renderList() {
    const { id } = parseHash();
    list.replaceChildren(...agents.map((agent) => h('li', null,
      h('a', {
        href: agentHash(agent.id), class: 'agent-link', testid: 'agent-item', dataset: { id: agent.id },
        'aria-current': agent.id === id ? 'page' : null,
      },
      h('span', { class: 'agent-swatch', style: null, dataset: { color: agent.theme_color } }),
      h('span', { class: 'agent-link-name' }, agent.name)))));
    for (const swatch of list.querySelectorAll('.agent-swatch')) swatch.style.background = swatch.dataset.color;
    if (!agents.length) list.append(h('li', { class: 'muted agent-empty' }, 'No agents yet.'));
  }

  let listLoads = 0;
  async function loadList() {
    const load = ++listLoads;
    try {
      const found = await agentsApi.list();
      if (load !== listLoads) return; // a later load, after a change, has the list
      agents = found;
      renderList();
    } catch (err) {
      pageError.set(`Could not load agents: ${err.message}`);
    }
  }

  function onAgentChanged(agent) {
    agents = agents.map((a) => (a.id === agent.id ? agent : a));
    renderList();
    if (current) current.agent = agent;
    title.textContent = agent.name;
  }

  function onAgentDeleted(id) {
    agents = agents.filter((a) => a.id !== id);
    location.hash = '#/agents';
  }

  // ---- one agent ----------------------------------------------------------------------
  const title = h('h1', { id: 'agents-title', testid: 'agent-title' }, 'Agents');
  const tabBar = h('div', { class: 'agent-tabs', role: 'tablist', 'aria-label': 'Agent' });
  const tabPanel = h('div', { class: 'agent-tab-panel', role: 'tabpanel' });

  function renderTabs(id, tab) {
    tabBar.replaceChildren(...TABS.map((t) => h('a', {
      href: agentHash(id, t.key), role: 'tab', class: 'agent-tab', testid: `agent-tab-${t.key}`,
      'aria-selected': String(t.key === tab),
    }, t.label)));
  }

  async function showDetail(force = false) {
    const { id, tab } = parseHash();
    renderList();
    if (!id) {
      if (current && current.view && current.view.destroy) current.view.destroy();
      current = null;
      title.textContent = 'Agents';
      detail.replaceChildren(h('section', { class: 'card agent-intro' },
        h('h2', null, 'Set up an agent'),
        h('p', { class: 'muted' },
          'An agent answers your visitors from the content you give it and hands the chat to your team when it should. ',
          'Create one, add your documents, try it, then paste its script tag into your site.')));
      return;
    }
    if (!force && current && current.id === id && current.tab === tab) return;
    if (current && current.view && current.view.destroy) current.view.destroy();
    let agent = agents.find((a) => a.id === id);
    current = { id, tab, view: null, agent };
    try {
      agent = await agentsApi.get(id);
    } catch (err) {
      detail.replaceChildren(h('p', { class: 'error-line', role: 'alert', testid: 'agent-load-error' },
        `Could not load this agent: ${err.message}`));
      return;
    }
    if (!current || current.id !== id || current.tab !== tab) return; // moved on meanwhile
    current.agent = agent;
    title.textContent = agent.name;
    renderTabs(id, tab);
    const spec = TABS.find((t) => t.key === tab);
    const view = spec.create({
      agent,
      getAgent: () => current && current.agent,
      onChanged: onAgentChanged,
      onDeleted: onAgentDeleted,
      onImported: loadList,
    });
    current.view = view;
    tabPanel.replaceChildren(view.el);
    tabPanel.dataset.tab = tab;
    detail.replaceChildren(tabBar, tabPanel);
  }

  const onHash = () => {
    if (location.hash.startsWith('#/agents')) showDetail();
  };
  window.addEventListener('hashchange', onHash);

  el.append(
    h('div', { class: 'agents-layout' },
      h('aside', { class: 'agents-aside' },
        h('h2', { class: 'agents-aside-title' }, 'Agents'),
        list, createForm,
        h('div', { class: 'agent-import' }, importLabel, importInput, importError.el)),
      h('section', { class: 'agents-main' },
        h('header', { class: 'page-header' }, title), pageError.el, detail)));
  loadList().then(() => showDetail());

  return {
    el,
    destroy() {
      window.removeEventListener('hashchange', onHash);
      if (current && current.view && current.view.destroy) current.view.destroy();
    },
  };
}
