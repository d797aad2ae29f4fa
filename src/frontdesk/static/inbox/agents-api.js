// The agents console's calls: agents, their sources, the playground, the agent file.
// Uploads go through XMLHttpRequest, the one browser API that reports upload progress.

import { ApiError, csrfHeader, request } from './api.js';

const seg = encodeURIComponent;
const get = (path) => request('GET', path);
const post = (path, body) => request('POST', path, body);

function errorFrom(status, text) {
  let data = null;
  try {
    data = JSON.parse(text);
  } catch {
    // not JSON: the status says enough
  }
  const err = data && typeof data.error === 'object' ? data.error : {};
  return new ApiError(status, err.code || `http_${status}`,
    err.message || `The server answered ${status}.`, err.field || null, err.fields || null);
}

/** POST files as multipart; onProgress(fraction) while they go up; resolves to the sources. */
function uploadFiles(agentId, files, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/agents/${seg(agentId)}/sources/files`);
    xhr.setRequestHeader('Accept', 'application/json');
    for (const [key, value] of Object.entries(csrfHeader())) xhr.setRequestHeader(key, value);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status === 202) {
        try {
          resolve(JSON.parse(xhr.responseText));
        } catch {
          reject(new ApiError(xhr.status, 'bad_response', 'The server sent an unexpected response.'));
        }
      } else {
        reject(errorFrom(xhr.status, xhr.responseText));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network', 'The upload did not reach the server.')));
    const form = new FormData();
    for (const file of files) form.append('file', file, file.name);
    xhr.send(form);
  });
}

async function exportFile(agentId) {
  const res = await fetch(`/api/v1/agents/${seg(agentId)}/export`, { credentials: 'same-origin' });
  if (!res.ok) throw errorFrom(res.status, await res.text());
  return res.text();
}

async function importFile(yaml) {
  let res;
  try {
    res = await fetch('/api/v1/agents/import', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/yaml', Accept: 'application/json', ...csrfHeader() },
      body: yaml,
    });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection and try again.');
  }
  const text = await res.text();
  if (!res.ok) throw errorFrom(res.status, text);
  return JSON.parse(text);
}

export const agentsApi = {
  list: () => get('/api/v1/agents'),
  get: (id) => get(`/api/v1/agents/${seg(id)}`),
  create: (body) => post('/api/v1/agents', body),
  update: (id, changes) => request('PATCH', `/api/v1/agents/${seg(id)}`, changes),
  remove: (id) => request('DELETE', `/api/v1/agents/${seg(id)}`),
  exportFile,
  importFile,
  ask: (id, question) => post(`/api/v1/agents/${seg(id)}/ask`, { question }),
  search: (id, q) => get(`/api/v1/agents/${seg(id)}/search?${new URLSearchParams({ q, k: '8' })}`),
  sources: (id) => get(`/api/v1/agents/${seg(id)}/sources`),
  uploadFiles,
  addUrl: (id, body) => post(`/api/v1/agents/${seg(id)}/sources/urls`, body),
  addQa: (id, title, pairs) => post(`/api/v1/agents/${seg(id)}/sources/qa`, { title, pairs }),
  qaPairs: (sourceId) => get(`/api/v1/sources/${seg(sourceId)}/pairs`),
  resync: (sourceId) => post(`/api/v1/sources/${seg(sourceId)}/resync`),
  removeSource: (sourceId) => request('DELETE', `/api/v1/sources/${seg(sourceId)}`),
  secrets: () => get('/api/v1/secrets'),
};
