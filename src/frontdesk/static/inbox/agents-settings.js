// An agent's Settings tab: the common settings as a form, the rest (rules, hours, actions) as
// the agent file. The API validates both; its error shows under the field it names.

import { agentsApi } from './agents-api.js';
import { confirmButton, errorLine, h, option } from './dom.js';

const GENERATORS = [
  ['extractive', 'Extractive (quotes your content, no model)'],
  ['local', 'Local model (GGUF on this server)'],
  ['openai', 'OpenAI-compatible endpoint'],
  ['anthropic', 'Anthropic (Claude)'],
];

// Each generator's settings: [key, label, kind, hint].
const CONFIG_FIELDS = {
  extractive: [],
  local: [
    ['model_path', 'Model file', 'text', 'A .gguf file on the server, e.g. /models/qwen2.5-1.5b.gguf'],
    ['threads', 'Threads', 'int', 'CPU threads (default 2)'],
    ['max_tokens', 'Max tokens', 'int', 'Longest reply (default 256)'],
  ],
  openai: [
    ['base_url', 'Base URL', 'text', 'e.g. https://api.openai.com/v1'],
    ['model', 'Model', 'text', 'e.g. gpt-4o-mini'],
    ['api_key_secret', 'API key secret', 'secret', 'A workspace secret holding the key'],
    ['timeout_s', 'Timeout (s)', 'float', 'Default 30'],
    ['max_tokens', 'Max tokens', 'int', 'Default 256'],
  ],
  anthropic: [
    ['model', 'Model', 'text', 'e.g. claude-3-5-haiku-latest'],
    ['api_key_secret', 'API key secret', 'secret', 'A workspace secret holding the key'],
    ['base_url', 'Base URL', 'text', 'Default https://api.anthropic.com'],
    ['timeout_s', 'Timeout (s)', 'float', 'Default 30'],
    ['max_tokens', 'Max tokens', 'int', 'Default 512'],
  ],
};

/** Registered fields and the error line under each; show(err) picks the closest one. */
function fieldErrors() {
  const lines = new Map();
  return {
    line(name) {
      const line = errorLine(`error-${name}`);
      lines.set(name, line);
      return line.el;
    },
    clear() {
      for (const line of lines.values()) line.set('');
    },
    /** Shows each error under its field; returns the messages no field took. */
    show(errors) {
      const left = [];
      for (const { field, message } of errors) {
        let key = field || '';
        while (key && !lines.has(key)) key = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : '';
        if (key) {
          // The API's message starts with the field's path; under the field it is said already.
          lines.get(key).set(message.replace(/^(line \d+: )?'?[\w.]+'?: /, '$1'));
          lines.get(key).el.scrollIntoView({ block: 'nearest' });
        } else {
          left.push(message);
        }
      }
      return left;
    },
  };
}

/** The API names one field (`error.field`) or several (`error.fields`: {field: message}). */
function errorsOf(err) {
  const several = err.fields && typeof err.fields === 'object' ? Object.entries(err.fields) : [];
  if (several.length) return several.map(([field, message]) => ({ field, message: String(message) }));
  return [{ field: err.field, message: err.message }];
}

export function createSettingsTab({ agent, onChanged, onDeleted, onImported }) {
  const errors = fieldErrors();
  const formError = errorLine('settings-error');
  const saved = h('p', { class: 'muted', role: 'status', testid: 'settings-saved' });
  let secretNames = [];

  function field(name, label, control, hint = '') {
    control.id = `agent-${name}`;
    control.name = name;
    control.dataset.testid = `agent-${name}`;
    return h('div', { class: 'field', dataset: { field: name } },
      h('label', { for: control.id }, label), control,
      hint ? h('p', { class: 'field-hint muted' }, hint) : null,
      errors.line(name));
  }

  const name = h('input', { type: 'text', maxlength: '120', value: agent.name });
  const greeting = h('textarea', { rows: '2', maxlength: '2000', value: agent.greeting });
  const instructions = h('textarea', { rows: '5', maxlength: '8000', value: agent.instructions });
  const handoff = h('textarea', { rows: '2', maxlength: '2000', value: agent.handoff_message });
  const handoffWait = h('input', { type: 'number', class: 'input-short', min: '5', max: '86400', step: '1', value: String(agent.handoff_wait_s) });
  const threshold = h('input', { type: 'number', step: '0.01', value: String(agent.confidence_threshold) });
  const language = h('input', { type: 'text', class: 'input-short', maxlength: '16', value: agent.language });
  const generator = h('select', null, GENERATORS.map(([v, l]) => option(v, l, v === agent.generator)));
  const color = h('input', { type: 'color', value: agent.theme_color });
  const colorText = h('input', { type: 'text', class: 'input-short', value: agent.theme_color, 'aria-label': 'Colour as #rrggbb', testid: 'agent-theme_color-text' });
  color.addEventListener('input', () => { colorText.value = color.value; });
  colorText.addEventListener('input', () => {
    if (/^#[0-9a-fA-F]{6}$/.test(colorText.value)) color.value = colorText.value.toLowerCase();
  });
  const position = h('select', null, option('right', 'Bottom right', agent.position === 'right'),
    option('left', 'Bottom left', agent.position === 'left'));
  const origins = h('textarea', {
    rows: '3', spellcheck: 'false', placeholder: 'https://example.com\nhttps://*.example.com',
    value: (agent.allowed_origins || []).join('\n'),
  });

  // ---- generator settings, redrawn when the generator changes --------------------------
  const configBox = h('div', { class: 'generator-config', testid: 'generator-config' });
  let configInputs = {};
  function renderConfig() {
    const kind = generator.value;
    const stored = kind === agent.generator ? agent.generator_config || {} : {};
    configInputs = {};
    const rows = CONFIG_FIELDS[kind].map(([key, label, type, hint]) => {
      let control;
      if (type === 'secret') {
        const current = stored[key] || '';
        const names = secretNames.includes(current) || !current ? secretNames : [...secretNames, current];
        control = h('select', null,
          kind === 'openai' ? option('', 'None (the endpoint needs no key)', !current) : option('', 'Choose a secret…', !current),
          names.map((n) => option(n, n, n === current)));
      } else {
        control = h('input', {
          type: type === 'text' ? 'text' : 'number', step: type === 'float' ? 'any' : '1',
          value: stored[key] === undefined || stored[key] === null ? '' : String(stored[key]),
          spellcheck: 'false', autocomplete: 'off',
        });
      }
      configInputs[key] = { control, type };
      return field(`generator_config.${key}`, label, control, hint);
    });
    if (kind !== 'extractive' && CONFIG_FIELDS[kind].some(([, , t]) => t === 'secret') && !secretNames.length) {
      rows.push(h('p', { class: 'muted field-hint' }, 'No secrets yet: add the API key on the ',
        h('a', { href: '#/secrets' }, 'Secrets page'), ' first.'));
    }
    configBox.replaceChildren(...rows);
  }
  generator.addEventListener('change', renderConfig);
  agentsApi.secrets().then((list) => {
    secretNames = list.map((s) => s.name);
    renderConfig();
  }).catch(() => renderConfig());

  function configValue() {
    const config = {};
    for (const [key, { control, type }] of Object.entries(configInputs)) {
      const raw = control.value.trim();
      if (raw === '') continue;
      config[key] = type === 'int' || type === 'float' ? Number(raw) : raw;
    }
    return config;
  }

  /** Shows the agent's stored settings (after the agent file changed them). */
  function fillForm() {
    name.value = agent.name;
    greeting.value = agent.greeting;
    instructions.value = agent.instructions;
    handoff.value = agent.handoff_message;
    handoffWait.value = String(agent.handoff_wait_s);
    threshold.value = String(agent.confidence_threshold);
    language.value = agent.language;
    generator.value = agent.generator;
    color.value = agent.theme_color;
    colorText.value = agent.theme_color;
    position.value = agent.position;
    origins.value = (agent.allowed_origins || []).join('\n');
    renderConfig();
  }

  const save = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'settings-save' }, 'Save settings');
  const form = h('form', { class: 'settings-form', novalidate: true, testid: 'settings-form' },
    h('section', { class: 'card' }, h('h2', null, 'Conversation'),
      field('name', 'Name', name),
      field('greeting', 'Greeting', greeting, 'The first message visitors see.'),
      field('instructions', 'Instructions and brand voice', instructions,
        'How the agent should speak and what it should never do (used by language models).'),
      field('handoff_message', 'Handoff message', handoff, 'Sent when the chat goes to your team.'),
      field('handoff_wait_s', 'Wait for a person (seconds)', handoffWait,
        'When nobody from your team replies within this time, the visitor is offered your offline form.'),
      h('div', { class: 'field-row' },
        field('confidence_threshold', 'Confidence threshold', threshold,
          'Between 0 and 1. Answers scored below it are handed to your team.'),
        field('language', 'Language', language, 'What a language model answers in (en, de, fr…).'))),
    h('section', { class: 'card' }, h('h2', null, 'Answer generator'),
      field('generator', 'Generator', generator), configBox),
    h('section', { class: 'card' }, h('h2', null, 'Widget'),
      h('div', { class: 'field-row' },
        h('div', { class: 'field', dataset: { field: 'theme_color' } },
          h('label', { for: 'agent-theme_color' }, 'Colour'),
          h('div', { class: 'color-pair' }, Object.assign(color, { id: 'agent-theme_color' }), colorText),
          errors.line('theme_color')),
        field('position', 'Position', position)),
      field('allowed_origins', 'Allowed sites', origins,
        'One origin per line. Empty lets any site embed the widget.')),
    h('div', { class: 'settings-actions' }, save, saved, formError.el));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    formError.set('');
    saved.textContent = '';
    const changes = {
      name: name.value.trim(),
      greeting: greeting.value,
      instructions: instructions.value,
      handoff_message: handoff.value,
      handoff_wait_s: handoffWait.value.trim() === '' ? null : Number(handoffWait.value),
      confidence_threshold: threshold.value.trim() === '' ? null : Number(threshold.value),
      language: language.value.trim() || null,
      generator: generator.value,
      theme_color: colorText.value.trim(),
      position: position.value,
      allowed_origins: origins.value.split('\n').map((l) => l.trim()).filter(Boolean),
    };
    if (generator.value !== 'extractive') changes.generator_config = configValue();
    save.disabled = true;
    try {
      const updated = await agentsApi.update(agent.id, changes);
      agent = updated;
      onChanged(updated);
      saved.textContent = 'Saved.';
      loadFile();
    } catch (err) {
      const left = errors.show(errorsOf(err));
      formError.set(left.join(' ') || 'Not saved: see the field marked above.');
    } finally {
      save.disabled = false;
    }
  });

  // ---- the agent file: rules, hours, forms and actions as YAML --------------------------
  const yaml = h('textarea', { class: 'yaml-editor', rows: '16', spellcheck: 'false', testid: 'agent-file', 'aria-label': 'Agent file (YAML)' });
  const fileError = errorLine('agent-file-error');
  const fileSaved = h('p', { class: 'muted', role: 'status', testid: 'agent-file-saved' });
  const saveFile = h('button', { type: 'button', class: 'btn btn-secondary', testid: 'agent-file-save' }, 'Save agent file');
  const download = h('a', { class: 'btn btn-ghost', testid: 'agent-file-download', download: `${agent.name}.yaml` }, 'Download');
  let downloadUrl = null;
  async function loadFile() {
    try {
      const text = await agentsApi.exportFile(agent.id);
      yaml.value = text;
      if (downloadUrl) URL.revokeObjectURL(downloadUrl);
      downloadUrl = URL.createObjectURL(new Blob([text], { type: 'application/yaml' }));
      download.href = downloadUrl;
      download.setAttribute('download', `${agent.name.replace(/[^\w.-]+/g, '-')}.yaml`);
    } catch (err) {
      fileError.set(`Could not load the agent file: ${err.message}`);
    }
  }
  saveFile.addEventListener('click', async () => {
    fileError.set('');
    fileSaved.textContent = '';
    saveFile.disabled = true;
    try {
      const updated = await agentsApi.importFile(yaml.value);
      if (updated.id !== agent.id) {
        fileSaved.textContent = `The file names another agent: saved as “${updated.name}”.`;
        onImported();
      } else {
        agent = updated;
        onChanged(updated);
        errors.clear();
        fillForm();
        fileSaved.textContent = 'Saved.';
      }
    } catch (err) {
      fileError.set(err.message);
    } finally {
      saveFile.disabled = false;
    }
  });
  loadFile();

  const fileCard = h('section', { class: 'card' },
    h('h2', null, 'Agent file'),
    h('p', { class: 'muted' },
      'Everything above plus escalation rules, business hours, forms and HTTP actions, in YAML. ',
      'Keys left out keep their values; the agent is matched by its name.'),
    yaml,
    h('div', { class: 'settings-actions' }, saveFile, download, fileSaved),
    fileError.el);

  const pageError = errorLine('agent-delete-error');
  const dangerCard = h('section', { class: 'card' },
    h('h2', null, 'Delete agent'),
    h('p', { class: 'muted' }, 'Deletes the agent with all its content. This cannot be undone.'),
    confirmButton({
      label: 'Delete agent',
      question: `Delete ${agent.name} and all its content?`,
      testid: 'agent-delete',
      onConfirm: async () => {
        try {
          await agentsApi.remove(agent.id);
          onDeleted(agent.id);
        } catch (err) {
          pageError.set(err.message);
        }
      },
    }),
    pageError.el);

  const el = h('div', { class: 'agent-settings', testid: 'agent-settings' }, form, fileCard, dangerCard);
  return {
    el,
    destroy() {
      if (downloadUrl) URL.revokeObjectURL(downloadUrl);
    },
  };
}
