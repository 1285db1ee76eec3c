// The UI's only way to the server: the public API under /api/v1, with the
// session cookie and the CSRF header on every changing request.

let csrfToken = null;
let onUnauthenticated = () => {};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `Request failed (${status})`);
    this.status = status;
    this.code = body?.error?.code || 'UNKNOWN';
    this.details = body?.error?.details || null;
    this.retryAfter = null;
  }
}

export function setCsrf(token) {
  csrfToken = token;
}

export function whenSignedOut(handler) {
  onUnauthenticated = handler;
}

export async function api(method, path, body) {
  return request(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? null : 'application/json');
}

/** Sends a file as the body itself (a logo), typed as the file is. */
export function upload(method, path, file) {
  return request(method, path, file, file.type || 'application/octet-stream');
}

/** Sends a body as it is; `contentType` null lets the browser type it (a form with files). */
export async function request(method, path, body, contentType) {
  const headers = { Accept: 'application/json' };
  if (contentType) headers['Content-Type'] = contentType;
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, credentials: 'same-origin', body });
  } catch {
    throw new ApiError(0, { error: { code: 'OFFLINE', message: 'The server cannot be reached. Check the connection and try again.' } });
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    error.retryAfter = response.headers.get('Retry-After');
    if (response.status === 401 && !path.startsWith('/auth/session')) onUnauthenticated();
    throw error;
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);

export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') q.set(key, value);
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}
