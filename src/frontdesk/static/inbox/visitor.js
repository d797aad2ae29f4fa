// How the inbox names a visitor and where they are, and search hits drawn with <mark>.
// Everything is text nodes: server data never goes through an HTML parser.

import { h } from './dom.js';

/** The name the server gives (lead name or email, else "Visitor 4821"). */
export function visitorName(conv) {
  return (conv.visitor && conv.visitor.name) || 'Visitor';
}

/** "example.com/rentals/bikes" from a page URL; '' when there is none or it is junk. */
export function pagePath(raw) {
  if (typeof raw !== 'string' || !raw) return '';
  try {
    const url = new URL(raw);
    const path = url.pathname === '/' ? '' : url.pathname;
    return `${url.host}${path}`;
  } catch {
    return raw.slice(0, 80);
  }
}

/**
 * `text` with the [start, end) `ranges` wrapped in <mark>; returns nodes to append.
 * Ranges come from the server, sorted and not overlapping; bad ones are skipped.
 */
export function highlighted(text, ranges) {
  const nodes = [];
  let at = 0;
  for (const [start, end] of ranges || []) {
    if (!(start >= at && end > start && end <= text.length)) continue;
    if (start > at) nodes.push(document.createTextNode(text.slice(at, start)));
    nodes.push(h('mark', null, text.slice(start, end)));
    at = end;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}
