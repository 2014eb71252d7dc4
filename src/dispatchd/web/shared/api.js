// Talking to the dispatchd API from a page: session cookie, CSRF header, problem+json errors.

export const API = "/api/v1";

/** An error answer from the API, carrying its RFC 9457 problem document. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.fieldErrors = problem?.errors || [];
  }
}

/** The network did not answer at all (offline, server down): the request may be retried. */
export class NetworkError extends Error {}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)dispatchd_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** A random UUID even where crypto.randomUUID is missing (plain-http pages on a LAN). */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Send one request. JSON bodies via `json`; anything else via `body` + `contentType`.
 * Resolves with the parsed JSON (or null for 204); rejects with ApiError or NetworkError.
 */
export async function request(method, path, { json, body, contentType, idempotencyKey, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (contentType) {
    headers["Content-Type"] = contentType;
  }
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken();
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  let response;
  try {
    response = await fetch(path.startsWith("/") ? path : `${API}/${path}`, {
      method,
      headers,
      body,
      credentials: "same-origin",
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new NetworkError(error.message);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text };
    }
  }
  if (!response.ok) {
    if (response.status === 401) window.dispatchEvent(new CustomEvent("unauthenticated"));
    throw new ApiError(response.status, data);
  }
  return data;
}

export const get = (path, options) => request("GET", path, options);
export const post = (path, json, options = {}) => request("POST", path, { ...options, json });
export const put = (path, json, options = {}) => request("PUT", path, { ...options, json });
export const patch = (path, json, options = {}) => request("PATCH", path, { ...options, json });
export const del = (path, options) => request("DELETE", path, options);

/** Log in: the server sets the HttpOnly session cookie and the CSRF cookie. */
export function logIn(username, password) {
  return post("auth/session", { username, password });
}

export function logOut() {
  return del("auth/session").catch(() => null);
}

/** Who is logged in, or null. */
export async function session() {
  try {
    return await get("auth/session");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

/** Config the pages need before anyone logs in (currency, map tiles). */
export function clientConfig() {
  return get("/web/config.json").catch(() => ({}));
}
