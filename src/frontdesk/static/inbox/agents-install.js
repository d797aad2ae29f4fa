// An agent's Install tab: the one-line script tag, and a still preview of the widget in the
// agent's colour and corner (the live widget only runs on an allowed site).

import { h, secretBox } from './dom.js';

/** White or near-black text, whichever reads better on the colour (as the widget picks). */
function textOn(hex) {
  const n = parseInt(hex.slice(1), 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.4 ? '#111827' : '#ffffff';
}

export function scriptTag(agent, origin = location.origin) {
  return `<script src="${origin}/widget.js" data-agent="${agent.public_key}" async></script>`;
}

function preview(agent) {
  const color = /^#[0-9a-fA-F]{6}$/.test(agent.theme_color) ? agent.theme_color : '#2563eb';
  const on = textOn(color);
  const header = h('div', { class: 'wp-header' }, h('span', null, agent.name), h('span', { 'aria-hidden': 'true' }, '×'));
  const visitor = h('div', { class: 'wp-msg wp-visitor' }, 'Do you offer financing?');
  const launcher = h('div', { class: 'wp-launcher', 'aria-hidden': 'true' },
    h('span', { class: 'wp-dot' }), h('span', { class: 'wp-dot' }), h('span', { class: 'wp-dot' }));
  const send = h('span', { class: 'wp-send' }, 'Send');
  for (const painted of [header, visitor, launcher, send]) {
    painted.style.background = color;
    painted.style.color = on;
  }
  for (const dot of launcher.children) dot.style.background = on;
  const panel = h('div', { class: 'wp-panel' },
    header,
    h('div', { class: 'wp-body' },
      h('div', { class: 'wp-msg wp-ai' }, agent.greeting || 'Hi! How can I help?'),
      visitor),
    h('div', { class: 'wp-composer' }, h('span', { class: 'wp-input' }, 'Type a message…'), send));
  return h('div', {
    class: 'widget-preview', testid: 'widget-preview',
    dataset: { position: agent.position === 'left' ? 'left' : 'right', color },
  }, h('div', { class: 'wp-page' }, h('div', { class: 'wp-line' }), h('div', { class: 'wp-line wp-short' }),
    h('div', { class: 'wp-line' })), panel, launcher);
}

export function createInstallTab({ agent }) {
  const tag = scriptTag(agent);
  const origins = agent.allowed_origins || [];
  const el = h('div', { class: 'agent-install', testid: 'agent-install' },
    h('section', { class: 'card' },
      h('h2', null, 'Add the widget to your site'),
      h('p', { class: 'muted' }, 'Paste this line before </body> on every page where visitors should see the chat.'),
      secretBox(tag, 'install-snippet'),
      h('p', { class: 'muted', testid: 'install-origins' }, origins.length
        ? `It runs on: ${origins.join(', ')}. Change the allowed sites in Settings.`
        : 'Any site may embed it. To limit it to your own, list your sites under Allowed sites in Settings.')),
    h('section', { class: 'card' },
      h('h2', null, 'Preview'),
      h('p', { class: 'muted' }, `Colour ${agent.theme_color}, bottom ${agent.position}. Change them in Settings.`),
      preview(agent)));
  return { el };
}
