// Actions that must reach the server exactly once, even from a phone with a bad connection.
//
// Every action gets an Idempotency-Key and is written to IndexedDB *before* it is sent. It is
// removed only when the server has answered (success or a definite refusal). If the network
// fails, or the page is closed mid-request, it stays and is sent again with the same key when
// the phone is back online — the server answers a repeated key with the first response and
// does nothing again, so the action takes effect once.

import { ApiError, NetworkError, newKey, request } from "/web/api.js";

const DB_NAME = "dispatchd-app";
const STORE = "actions";
let dbPromise = null;
let flushing = null;
const waiters = new Map();
const listeners = new Set();

function openDb() {
  dbPromise =
    dbPromise ||
    new Promise((resolve, reject) => {
      const open = indexedDB.open(DB_NAME, 1);
      open.onupgradeneeded = () => {
        const store = open.result.createObjectStore(STORE, { keyPath: "key" });
        store.createIndex("createdAt", "createdAt");
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
  return dbPromise;
}

async function tx(mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, mode);
    const result = work(transaction.objectStore(STORE));
    transaction.oncomplete = () => resolve(result?.result ?? result);
    transaction.onerror = () => reject(transaction.error);
  });
}

/** Every queued action, oldest first. */
export function pending() {
  return tx("readonly", (store) => store.index("createdAt").getAll());
}

/** Be told when the queue changes or a queued action gets its answer. */
export function onChange(listener) {
  listeners.add(listener);
}

function notify(detail) {
  for (const listener of listeners) listener(detail);
}

/**
 * Queue an action and try to send it now.
 * Resolves {status: "done", data} when the server accepted it, {status: "queued"} when the
 * network is down; rejects with ApiError when the server refused it.
 * @param {{key?: string, method: string, path: string, json?: object, body?: Blob, contentType?: string, label: string, meta?: object}} action
 */
export async function perform(action) {
  const item = {
    key: action.key || newKey(),
    createdAt: Date.now(),
    method: action.method,
    path: action.path,
    json: action.json,
    body: action.body,
    contentType: action.contentType,
    label: action.label,
    meta: action.meta || {},
  };
  await tx("readwrite", (store) => store.put(item));
  notify({ type: "queued", item });
  const answered = new Promise((resolve, reject) => waiters.set(item.key, { resolve, reject }));
  const settled = answered.then(
    () => {},
    () => {},
  );
  // A flush already under way may have listed the queue before this action was added, so
  // give it a second round before concluding that the network is down.
  for (let round = 0; round < 2 && waiters.has(item.key); round++) {
    await Promise.race([settled, flush()]);
  }
  if (waiters.has(item.key)) {
    // Unanswered: the network is down. The action stays queued; listeners hear its answer.
    waiters.delete(item.key);
    return { status: "queued", key: item.key };
  }
  return answered;
}

/** Send every queued action in order; stops at the first network failure. */
export function flush() {
  if (!flushing) {
    flushing = sendAll().finally(() => {
      flushing = null;
    });
  }
  return flushing;
}

async function sendAll() {
  if (navigator.onLine === false) return;
  for (const item of await pending()) {
    let result;
    try {
      const data = await request(item.method, item.path, {
        json: item.json,
        body: item.body,
        contentType: item.contentType,
        idempotencyKey: item.key,
      });
      result = { status: "done", data };
    } catch (error) {
      if (error instanceof NetworkError) return;
      if (!(error instanceof ApiError)) return;
      result = { status: "refused", error };
    }
    await tx("readwrite", (store) => store.delete(item.key));
    const waiter = waiters.get(item.key);
    waiters.delete(item.key);
    if (waiter) {
      if (result.status === "done") waiter.resolve(result);
      else waiter.reject(result.error);
    }
    notify({ type: "answered", item, result, late: !waiter });
  }
}

window.addEventListener("online", () => flush());
setInterval(() => {
  if (navigator.onLine !== false) flush();
}, 15000);
