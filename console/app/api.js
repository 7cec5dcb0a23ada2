// The API client: the console's session cookie (HttpOnly: no script reads it; the browser
// sends it with our own requests only, SameSite=Strict), the header that marks a request as the
// console's (the server refuses a signed-in change without it), JSON in and out, and
// problem+json answers turned into errors that say what went wrong in words.
import { t } from './i18n.js';

export class ApiError extends Error {
  constructor(status, problem) {
    const words = problem.detail || problem.title || `HTTP ${status}`;
    super(problem.field ? `${words} (${problem.field})` : words);
    this.status = status;
    this.problem = problem;
  }
}

async function send(method, path, body, headers = {}) {
  const init = { method, headers: { 'X-Keepsake-Console': '1', ...headers }, credentials: 'same-origin' };
  if (body instanceof Blob || body instanceof ArrayBuffer) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { title: t('The server cannot be reached; is keepsake serve running?') });
  }
  if (!response.ok) {
    let problem = { title: `HTTP ${response.status}` };
    try {
      problem = await response.json();
    } catch (e) {
      // not JSON: keep the status line
    }
    const error = new ApiError(response.status, problem);
    if (response.status === 401 && path !== '/api/v1/session') window.dispatchEvent(new CustomEvent('keepsake:signed-out', { detail: error.message }));
    throw error;
  }
  return response;
}

export async function get(path) {
  return (await send('GET', path)).json();
}

export async function del(path) {
  return send('DELETE', path);
}

export async function post(path, body, headers) {
  const response = await send('POST', path, body ?? {}, headers);
  return response.headers.get('Content-Type')?.includes('json') ? response.json() : response;
}

// A file answer (PDF, PNG, ZPL) as a Blob, with the response for its headers.
export async function postForBlob(path, body) {
  const response = await send('POST', path, body);
  return { blob: await response.blob(), response };
}

export async function upload(file) {
  return (await send('POST', '/api/v1/assets', file)).json();
}

// An asset's bytes as an object URL (fetched once, with the console's header). Kept for the tab's
// life: a review page shows the same previews again.
const objectUrls = new Map();
export async function assetUrl(sha256) {
  if (!objectUrls.has(sha256)) {
    const response = await send('GET', `/api/v1/assets/${sha256}/file`);
    objectUrls.set(sha256, URL.createObjectURL(await response.blob()));
  }
  return objectUrls.get(sha256);
}

export async function assetBuffer(sha256) {
  return (await send('GET', `/api/v1/assets/${sha256}/file`)).arrayBuffer();
}
