// HTTP client for the team API: same-origin cookie session, CSRF header on unsafe methods,
// and one error shape (ApiError) whatever the server or the network did.

const UNSAFE = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

let csrfToken = null;
let unauthenticatedHandler = null;

export class ApiError extends Error {
  constructor(status, code, message, field = null, fields = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.fields = fields;
  }
}

/** The session's CSRF token, for requests made outside request() (uploads, YAML bodies). */
export function csrfHeader() {
  return csrfToken ? { 'X-CSRF-Token': csrfToken } : {};
}

export function setCsrfToken(token) {
  csrfToken = token || null;
}

/** Called with the ApiError when a request answers 401 (session expired or signed out). */
export function onUnauthenticated(handler) {
  unauthenticatedHandler = handler;
}

function fallbackMessage(status) {
  if (status === 403) return 'You do not have permission to do that.';
  if (status === 404) return 'Not found.';
  if (status === 409) return 'That is not possible in the current state.';
  if (status === 429) return 'Too many requests. Please wait a moment.';
  if (status >= 500) return `The server had a problem (${status}). Please try again.`;
  return `Unexpected server response (${status}).`;
}

async function readJson(res) {
  const type = res.headers.get('content-type') || '';
  if (!type.includes('json')) return undefined;
  try {
    return await res.json();
  } catch {
    return undefined;
  }
}

export async function request(method, path, body, { handle401 = true } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (UNSAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection and try again.');
  }
  if (res.status === 204) return null;
  const data = await readJson(res);
  if (!res.ok) {
    const err = data && typeof data.error === 'object' ? data.error : null;
    const message = (err && err.message) || (data && typeof data.detail === 'string' && data.detail)
      || fallbackMessage(res.status);
    const error = new ApiError(res.status, (err && err.code) || `http_${res.status}`, message,
      (err && err.field) || null, (err && typeof err.fields === 'object' && err.fields) || null);
    if (res.status === 401 && handle401 && unauthenticatedHandler) unauthenticatedHandler(error);
    throw error;
  }
  if (data === undefined) {
    throw new ApiError(res.status, 'bad_response', 'The server sent an unexpected response.');
  }
  return data;
}

const seg = encodeURIComponent;

function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') q.set(key, value);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

const get = (path, opts) => request('GET', path, undefined, opts);
const post = (path, body, opts) => request('POST', path, body, opts);

export const api = {
  // Auth: a 401 here is an answer ("signed out"), not an expired session.
  me: () => get('/api/v1/auth/me', { handle401: false }),
  login: (email, password) => post('/api/v1/auth/login', { email, password }, { handle401: false }),
  logout: () => post('/api/v1/auth/logout', undefined, { handle401: false }),
  logoutAll: () => post('/api/v1/auth/logout-all'),
  changePassword: (currentPassword, newPassword) =>
    post('/api/v1/auth/password', { current_password: currentPassword, new_password: newPassword }),
  inviteInfo: (token) => get(`/api/v1/auth/invites/${seg(token)}`, { handle401: false }),
  acceptInvite: (token, name, password) =>
    post(`/api/v1/auth/invites/${seg(token)}`, { name, password }, { handle401: false }),

  members: () => get('/api/v1/members'),
  setMemberRole: (id, role) => request('PATCH', `/api/v1/members/${seg(id)}`, { role }),
  removeMember: (id) => request('DELETE', `/api/v1/members/${seg(id)}`),
  invites: () => get('/api/v1/invites'),
  createInvite: (email, role) => post('/api/v1/invites', { email, role }),
  revokeInvite: (id) => request('DELETE', `/api/v1/invites/${seg(id)}`),

  apiKeys: () => get('/api/v1/apikeys'),
  createApiKey: (name) => post('/api/v1/apikeys', { name }),
  revokeApiKey: (id) => request('DELETE', `/api/v1/apikeys/${seg(id)}`),

  agents: () => get('/api/v1/agents'),

  secrets: () => get('/api/v1/secrets'),
  putSecret: (name, value) => request('PUT', `/api/v1/secrets/${seg(name)}`, { value }),
  deleteSecret: (name) => request('DELETE', `/api/v1/secrets/${seg(name)}`),
  allowedHosts: () => get('/api/v1/workspace/allowed-hosts'),
  setAllowedHosts: (hosts) => request('PUT', '/api/v1/workspace/allowed-hosts', { hosts }),
  webhooks: () => get('/api/v1/webhooks'),
  createWebhook: (body) => post('/api/v1/webhooks', body),
  updateWebhook: (id, changes) => request('PATCH', `/api/v1/webhooks/${seg(id)}`, changes),
  deleteWebhook: (id) => request('DELETE', `/api/v1/webhooks/${seg(id)}`),
  testWebhook: (id) => post(`/api/v1/webhooks/${seg(id)}/test`),
  webhookDeliveries: (id) => get(`/api/v1/webhooks/${seg(id)}/deliveries`),
  resendDelivery: (id, deliveryId) =>
    post(`/api/v1/webhooks/${seg(id)}/deliveries/${seg(deliveryId)}/resend`),
  deadLetters: () => get('/api/v1/dead-letters'),
  retryDeadLetter: (letter) =>
    post(`/api/v1/dead-letters/${letter.kind === 'action' ? 'runs' : 'deliveries'}/${seg(letter.id)}/retry`),
  alertPreferences: () => get('/api/v1/alerts/preferences'),
  setAlertPreferences: (changes) => request('PATCH', '/api/v1/alerts/preferences', changes),

  conversations: (params) => get(`/api/v1/conversations${query(params)}`),
  conversation: (id) => get(`/api/v1/conversations/${seg(id)}`),
  sendMessage: (id, text, isPrivate) =>
    post(`/api/v1/conversations/${seg(id)}/messages`, { text, private: isPrivate }),
  takeover: (id) => post(`/api/v1/conversations/${seg(id)}/takeover`),
  assign: (id, memberId) => post(`/api/v1/conversations/${seg(id)}/assign`, { member_id: memberId }),
  handback: (id) => post(`/api/v1/conversations/${seg(id)}/handback`),
  close: (id) => post(`/api/v1/conversations/${seg(id)}/close`),
  reopen: (id) => post(`/api/v1/conversations/${seg(id)}/reopen`),
  setPriority: (id, priority) => post(`/api/v1/conversations/${seg(id)}/priority`, { priority }),
  addTag: (id, tag) => post(`/api/v1/conversations/${seg(id)}/tags`, { tag }),
  removeTag: (id, name) => request('DELETE', `/api/v1/conversations/${seg(id)}/tags/${seg(name)}`),
  tags: () => get('/api/v1/tags'),
  updateTag: (id, changes) => request('PATCH', `/api/v1/tags/${seg(id)}`, changes),
  mergeTag: (id, into) => post(`/api/v1/tags/${seg(id)}/merge`, { into }),
  deleteTag: (id) => request('DELETE', `/api/v1/tags/${seg(id)}`),
  markRead: (id, seq) => post(`/api/v1/conversations/${seg(id)}/read`, { seq }),
  moveToTeam: (id, teamId) => post(`/api/v1/conversations/${seg(id)}/team`, { team_id: teamId }),

  teams: () => get('/api/v1/teams'),
  createTeam: (body) => post('/api/v1/teams', body),
  updateTeam: (id, changes) => request('PATCH', `/api/v1/teams/${seg(id)}`, changes),
  deleteTeam: (id) => request('DELETE', `/api/v1/teams/${seg(id)}`),
  setPresence: (status) => request('PUT', '/api/v1/me/presence', { status }),
  usage: () => get('/api/v1/usage'),
};
