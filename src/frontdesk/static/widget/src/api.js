// The visitor's HTTP API (/api/v1/widget): one fetch helper and the error it throws.

const RETRYABLE_STATUS = [0, 408, 429, 500, 502, 503, 504]; // 0 = network failure

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
  get retryable() {
    return RETRYABLE_STATUS.includes(this.status);
  }
  get tokenRejected() {
    return this.status === 401 || this.status === 404;
  }
}

async function api(method, path, { body, token } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers['X-Visitor-Token'] = token;
  let response;
  try {
    response = await fetch(`${serverOrigin}/api/v1/widget${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (_) {
    throw new ApiError(0, 'network', 'Can\u2019t reach the chat service. Check your connection.');
  }
  let data = null;
  try { data = await response.json(); } catch (_) { /* empty or not JSON */ }
  if (!response.ok) {
    const error = (data && data.error) || {};
    const failure = new ApiError(response.status, error.code || 'http_error',
      error.message || `Something went wrong (error ${response.status}).`);
    failure.fields = error.fields || null;
    throw failure;
  }
  return data;
}
