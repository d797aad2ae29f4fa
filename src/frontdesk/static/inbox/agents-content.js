// An agent's Content tab: drop files (each with its own progress bar), add a web page,
// sitemap or crawl, add Q&A pairs, and watch every source reach ready or failed.
// Sources emit no live events, so the list is polled while any of them is still working.

import { agentsApi } from './agents-api.js';
import { confirmButton, errorLine, externalLink, h, option, safeUrl } from './dom.js';
import { fullTime, relativeTime } from './format.js';

const POLL_MS = 1500;
const WORKING = new Set(['queued', 'processing']);
const STATUS_LABEL = { queued: 'Queued', processing: 'Processing…', ready: 'Ready', failed: 'Failed' };
const KIND_LABEL = { file: 'File', url: 'Web page', sitemap: 'Sitemap', crawl: 'Crawl', qa: 'Q&A' };

export function createContentTab({ agent }) {
  const pageError = errorLine('content-error');
  let timer = null;
  let destroyed = false;

  // ---- sources table --------------------------------------------------------------------
  const body = h('tbody', { testid: 'source-rows' });
  const summary = h('p', { class: 'muted', testid: 'sources-summary', role: 'status' });

  // What the last sync of a web source did, e.g. "Last sync: 3 pages, 1 changed, 2 unchanged".
  function syncSummary(sync) {
    const parts = [['changed', sync.changed], ['new', sync.added], ['removed', sync.removed],
      ['unchanged', sync.unchanged], ['not answering, kept', sync.unreachable], ['skipped', sync.skipped]]
      .filter(([, n]) => n > 0).map(([label, n]) => `${n} ${label}`);
    const pages = `${sync.pages} page${sync.pages === 1 ? '' : 's'}`;
    return `Last sync: ${[pages, ...parts].join(', ')}`;
  }

  function sourceRow(source) {
    const url = source.kind !== 'file' && source.kind !== 'qa' ? safeUrl(source.uri) : null;
    const status = h('span', { class: 'source-status', testid: 'source-status', dataset: { status: source.status } },
      STATUS_LABEL[source.status] || source.status);
    return h('tr', { testid: 'source-row', dataset: { id: source.id, status: source.status } },
      h('td', null,
        h('div', { class: 'source-title', testid: 'source-title' }, source.title || source.uri),
        url ? externalLink(url, source.uri, { class: 'source-uri muted' }) : null,
        source.last_sync ? h('div', { class: 'muted', testid: 'source-sync' }, syncSummary(source.last_sync)) : null,
        source.status === 'failed' && source.error
          ? h('div', { class: 'source-failure', testid: 'source-error' }, source.error) : null),
      h('td', null, KIND_LABEL[source.kind] || source.kind),
      h('td', null, status),
      h('td', { class: 'num', testid: 'source-chunks' }, source.status === 'ready' ? String(source.chunk_count) : '—'),
      h('td', { class: 'muted', title: fullTime(source.synced_at || source.updated_at) },
        relativeTime(source.synced_at || source.updated_at) || '—'),
      h('td', { class: 'cell-actions' },
        source.kind === 'qa' ? h('button', {
          type: 'button', class: 'btn btn-ghost btn-small', testid: 'source-edit', onclick: () => editQa(source),
        }, 'Edit') : null,
        h('button', {
          type: 'button', class: 'btn btn-ghost btn-small', testid: 'source-resync',
          disabled: WORKING.has(source.status),
          title: 'Read the source again',
          onclick: () => resync(source),
        }, 'Re-sync'),
        confirmButton({
          label: 'Delete',
          question: `Delete “${source.title || source.uri}”?`,
          testid: 'source-delete',
          onConfirm: () => remove(source),
        })));
  }

  async function load() {
    if (destroyed) return;
    clearTimeout(timer);
    try {
      const sources = await agentsApi.sources(agent.id);
      if (destroyed) return;
      body.replaceChildren(...sources.map(sourceRow));
      if (!sources.length) {
        body.append(h('tr', null, h('td', { colspan: '6', class: 'muted' },
          'No content yet. Drop files above, or add a web page or Q&A pairs.')));
      }
      const ready = sources.filter((s) => s.status === 'ready');
      const chunks = ready.reduce((sum, s) => sum + s.chunk_count, 0);
      const working = sources.filter((s) => WORKING.has(s.status)).length;
      const failed = sources.filter((s) => s.status === 'failed').length;
      summary.textContent = `${ready.length} of ${sources.length} sources ready, ${chunks} passages`
        + (working ? ` · ${working} in progress` : '') + (failed ? ` · ${failed} failed` : '');
      clearTimeout(timer);
      if (working) timer = setTimeout(load, POLL_MS);
    } catch (err) {
      pageError.set(`Could not load the content: ${err.message}`);
      timer = setTimeout(load, POLL_MS * 4);
    }
  }

  async function resync(source) {
    pageError.set('');
    try {
      const queued = await agentsApi.resync(source.id);
      const row = body.querySelector(`tr[data-id="${CSS.escape(source.id)}"]`);
      if (row) row.replaceWith(sourceRow(queued));
    } catch (err) {
      pageError.set(err.message);
    }
    load();
  }

  async function remove(source) {
    pageError.set('');
    try {
      await agentsApi.removeSource(source.id);
    } catch (err) {
      pageError.set(err.message);
    }
    load();
  }

  // ---- file drop ------------------------------------------------------------------------
  const fileInput = h('input', { type: 'file', multiple: true, id: 'source-files', class: 'visually-hidden', testid: 'source-file-input' });
  const uploads = h('ul', { class: 'upload-list', testid: 'upload-list' });
  const drop = h('div', { class: 'dropzone', testid: 'dropzone' },
    h('p', { class: 'dropzone-title' }, 'Drop files here'),
    h('p', { class: 'muted' }, 'PDF, Word, PowerPoint, Excel, HTML, Markdown, CSV or text — several at once.'),
    h('label', { for: 'source-files', class: 'btn btn-secondary btn-small' }, 'Choose files'),
    fileInput);

  function uploadOne(file) {
    const bar = h('progress', { max: '100', value: '0', 'aria-label': `Uploading ${file.name}` });
    const state = h('span', { class: 'upload-state muted', testid: 'upload-state' }, 'Uploading…');
    const row = h('li', { class: 'upload-item', testid: 'upload-item', dataset: { name: file.name } },
      h('span', { class: 'upload-name' }, file.name), bar, state);
    uploads.append(row);
    return agentsApi.uploadFiles(agent.id, [file], (fraction) => {
      bar.value = Math.round(fraction * 100);
    }).then(() => {
      bar.value = 100;
      state.textContent = 'Uploaded';
      row.dataset.state = 'done';
      setTimeout(() => row.remove(), 4000);
    }).catch((err) => {
      state.textContent = err.message;
      state.classList.add('error-text');
      row.dataset.state = 'failed';
    }).finally(load);
  }

  function uploadAll(files) {
    pageError.set('');
    for (const file of files) uploadOne(file);
  }
  fileInput.addEventListener('change', () => {
    uploadAll([...fileInput.files]);
    fileInput.value = '';
  });
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('dropzone-over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('dropzone-over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('dropzone-over');
    uploadAll([...(event.dataTransfer ? event.dataTransfer.files : [])]);
  });

  // ---- URL ------------------------------------------------------------------------------
  const urlInput = h('input', { type: 'url', id: 'source-url', testid: 'source-url', placeholder: 'https://example.com/help', spellcheck: 'false' });
  const urlMode = h('select', { id: 'source-url-mode', testid: 'source-url-mode' },
    option('page', 'One page'), option('sitemap', 'Sitemap'), option('crawl', 'Crawl the site'));
  const maxPages = h('input', { type: 'number', id: 'source-url-pages', testid: 'source-url-pages', min: '1', max: '5000', step: '1', placeholder: 'default', class: 'input-short' });
  const pagesField = h('div', { class: 'field', hidden: true },
    h('label', { for: 'source-url-pages' }, 'Max pages'), maxPages);
  urlMode.addEventListener('change', () => { pagesField.hidden = urlMode.value === 'page'; });
  const urlError = errorLine('source-url-error');
  const urlForm = h('form', { class: 'inline-form', novalidate: true },
    h('div', { class: 'field field-grow' }, h('label', { for: 'source-url' }, 'Web address'), urlInput),
    h('div', { class: 'field' }, h('label', { for: 'source-url-mode' }, 'What to read'), urlMode),
    pagesField,
    h('div', { class: 'field field-button' },
      h('button', { type: 'submit', class: 'btn btn-secondary', testid: 'source-url-add' }, 'Add')));
  urlForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    urlError.set('');
    try {
      const body = { url: urlInput.value.trim(), mode: urlMode.value };
      if (urlMode.value !== 'page' && maxPages.value.trim()) body.max_pages = Number(maxPages.value);
      await agentsApi.addUrl(agent.id, body);
      urlInput.value = '';
      load();
    } catch (err) {
      urlError.set(err.message);
    }
  });

  // ---- Q&A ------------------------------------------------------------------------------
  const qaTitle = h('input', { type: 'text', id: 'qa-title', testid: 'qa-title', value: 'Q&A', maxlength: '200' });
  const qaPairs = h('div', { class: 'qa-pairs' });
  function pairRow(pair = { question: '', answer: '' }) {
    const q = h('input', { type: 'text', placeholder: 'Question', testid: 'qa-question', maxlength: '2000', 'aria-label': 'Question', value: pair.question });
    const a = h('textarea', { rows: '2', placeholder: 'Answer', testid: 'qa-answer', maxlength: '20000', 'aria-label': 'Answer', value: pair.answer });
    const row = h('div', { class: 'qa-pair' }, q, a,
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': 'Remove this pair', onclick: () => row.remove() }, '×'));
    qaPairs.append(row);
  }
  pairRow();
  const qaError = errorLine('qa-error');
  const qaForm = h('form', { class: 'qa-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'qa-title' }, 'Set name'), qaTitle,
      h('p', { class: 'field-hint muted' }, 'Saving a set under the same name again replaces it.')),
    qaPairs,
    h('div', { class: 'settings-actions' },
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', testid: 'qa-more', onclick: () => pairRow() }, 'Add a pair'),
      h('button', { type: 'submit', class: 'btn btn-secondary', testid: 'qa-save' }, 'Save Q&A')),
    qaError.el);
  async function editQa(source) {
    qaError.set('');
    try {
      const set = await agentsApi.qaPairs(source.id);
      qaTitle.value = set.title;
      qaPairs.replaceChildren();
      for (const pair of set.pairs) pairRow(pair);
      qaForm.scrollIntoView({ block: 'start', behavior: 'smooth' });
      qaPairs.querySelector('input').focus({ preventScroll: true });
    } catch (err) {
      qaError.set(err.message);
    }
  }

  qaForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    qaError.set('');
    const pairs = [...qaPairs.querySelectorAll('.qa-pair')].map((row) => ({
      question: row.querySelector('input').value.trim(),
      answer: row.querySelector('textarea').value.trim(),
    })).filter((p) => p.question || p.answer);
    if (!pairs.length || pairs.some((p) => !p.question || !p.answer)) {
      qaError.set('Each pair needs a question and an answer.');
      return;
    }
    try {
      await agentsApi.addQa(agent.id, qaTitle.value.trim() || 'Q&A', pairs);
      qaTitle.value = 'Q&A';
      qaPairs.replaceChildren();
      pairRow();
      load();
    } catch (err) {
      qaError.set(err.message);
    }
  });

  // ---- search the content ---------------------------------------------------------------
  const searchInput = h('input', { type: 'search', id: 'content-search', testid: 'content-search', placeholder: 'financing rates', maxlength: '2000' });
  const searchError = errorLine('content-search-error');
  const hits = h('ol', { class: 'passages search-hits', testid: 'content-hits' });
  const searchForm = h('form', { class: 'inline-form', role: 'search' },
    h('div', { class: 'field field-grow' }, h('label', { for: 'content-search' }, 'Find what the agent knows'), searchInput),
    h('div', { class: 'field field-button' },
      h('button', { type: 'submit', class: 'btn btn-secondary', testid: 'content-search-go' }, 'Search')));
  searchForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    searchError.set('');
    const q = searchInput.value.trim();
    if (!q) {
      hits.replaceChildren();
      return;
    }
    try {
      const found = await agentsApi.search(agent.id, q);
      hits.replaceChildren(...found.map((hit) => h('li', { class: 'passage', testid: 'content-hit' },
        h('div', { class: 'passage-head' },
          h('span', { class: 'passage-title' }, hit.title || hit.source),
          h('span', { class: 'passage-score' }, hit.score.toFixed(3))),
        h('div', { class: 'muted passage-source' }, [hit.source, hit.location].filter(Boolean).join(' · ')),
        h('p', { class: 'passage-text' }, hit.text))));
      if (!found.length) hits.append(h('li', { class: 'muted' }, 'Nothing in the content matches.'));
    } catch (err) {
      searchError.set(err.message);
    }
  });

  const el = h('div', { class: 'agent-content', testid: 'agent-content' },
    h('section', { class: 'card' }, h('h2', null, 'Upload files'), drop, uploads),
    h('section', { class: 'card' },
      h('h2', null, 'Sources'), summary, pageError.el,
      h('table', { class: 'table sources-table' },
        h('thead', null, h('tr', null,
          h('th', null, 'Source'), h('th', null, 'Kind'), h('th', null, 'Status'),
          h('th', { class: 'num' }, 'Passages'), h('th', null, 'Updated'),
          h('th', null, h('span', { class: 'visually-hidden' }, 'Actions')))),
        body)),
    h('div', { class: 'content-forms' },
      h('section', { class: 'card' }, h('h2', null, 'Add a website'), urlForm, urlError.el),
      h('section', { class: 'card' }, h('h2', null, 'Add questions and answers'), qaForm)),
    h('section', { class: 'card' }, h('h2', null, 'Search the content'), searchForm, searchError.el, hits));
  load();
  return {
    el,
    destroy() {
      destroyed = true;
      clearTimeout(timer);
    },
  };
}
