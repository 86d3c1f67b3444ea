// api.js -- the REST client: JSON in and out, the session token, and the
// API's error answers turned into exceptions that carry the reason message.
//
// The token lives in sessionStorage (one browser tab = one session); it is
// sent as "Authorization: Bearer <token>".

import { getLang } from './i18n.js';
import { reasonText } from './reasons.js';

const TOKEN = 'cets.token';
const USER = 'cets.user';

export class ApiError extends Error {
  constructor(status, body) {
    const reason = (body && body.error) || `http_${status}`;
    const msg = (body && body.message) || `HTTP ${status}`;
    super(msg);
    this.status = status;
    this.reason = reason;
    this.code = body && body.code;
    this.field = body && body.field;
    this.errors = (body && Array.isArray(body.errors) && body.errors) || []; // a file's bad rows
  }
  // What the user sees: the reason in the page's language, with its name.
  get display() {
    return reasonText(this, getLang());
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN);
}

export function currentUser() {
  try {
    return JSON.parse(sessionStorage.getItem(USER) || 'null');
  } catch {
    return null;
  }
}

export function userRoles(u = currentUser()) {
  if (!u) return [];
  const r = u.roles;
  if (Array.isArray(r)) return r;
  if (typeof r === 'string') return r.split(',').map((s) => s.trim()).filter(Boolean);
  return [];
}

export function isAdmin(u = currentUser()) {
  return userRoles(u).includes('admin');
}

export async function api(method, path, body, contentType = 'application/json') {
  const headers = { Accept: 'application/json' };
  const tok = token();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = contentType;
    init.body = typeof body === 'string' && contentType !== 'application/json' ? body : JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { error: 'network', message: String(e.message || e) });
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { error: 'bad_answer', message: text.slice(0, 200) };
    }
  }
  if (!res.ok) {
    // An expired or revoked token: forget it so the pages offer the login again.
    if (res.status === 401 && tok) clearSession();
    throw new ApiError(res.status, data);
  }
  return data;
}

export const get = (p) => api('GET', p);
export const post = (p, b = {}) => api('POST', p, b);
export const del = (p) => api('DELETE', p);
// A file as it is (a CSV upload).
export const postText = (p, text, type = 'text/csv') => api('POST', p, text, type);

export function hasRole(role, u = currentUser()) {
  const r = userRoles(u);
  return r.includes(role) || (role === 'view' && (r.includes('trade') || r.includes('admin')));
}

export async function login(username, password) {
  const r = await api('POST', '/api/v1/login', { username, password });
  sessionStorage.setItem(TOKEN, r.token);
  sessionStorage.setItem(USER, JSON.stringify(r.user || { username }));
  return r;
}

export async function logout() {
  try {
    if (token()) await api('POST', '/api/v1/logout', {});
  } catch {
    /* the session may already be gone; forget it anyway */
  }
  clearSession();
}

export function clearSession() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(USER);
}
