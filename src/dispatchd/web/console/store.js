// What the console knows: orders, installers, zones and alerts, kept current by the event
// stream. An event names the order it concerns; that order is re-read (batched), so the board
// always shows the server's truth without polling.

import { get } from "/web/api.js";

const BOARD_STATUSES = ["pending", "offered", "accepted", "suspended", "in_progress"];
const listeners = new Set();

export const store = {
  who: null,
  config: {},
  orders: new Map(),
  installers: new Map(),
  zones: new Map(),
  alerts: new Map(),
  policy: null,
};

/** Be told (with a topic name) whenever something in the store changed. */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function changed(topic) {
  for (const listener of listeners) listener(topic);
}

export async function loadAll() {
  await Promise.all([loadZones(), loadInstallers(), loadBoard(), loadAlerts()]);
}

export async function loadBoard() {
  const pages = await Promise.all([
    ...BOARD_STATUSES.map((status) => get(`orders?status=${status}&limit=200`)),
    get("orders?status=completed&limit=30"),
    get("orders?status=cancelled&limit=30"),
  ]);
  const fresh = new Map();
  for (const page of pages) for (const order of page.items) fresh.set(order.id, mergeDetail(order));
  store.orders = fresh;
  changed("orders");
}

export async function loadInstallers() {
  const { items } = await get("installers");
  store.installers = new Map(items.map((installer) => [installer.id, installer]));
  changed("installers");
}

export async function loadZones() {
  const { items } = await get("zones");
  store.zones = new Map(items.map((zone) => [zone.id, zone]));
  changed("zones");
}

export async function loadAlerts() {
  const { items } = await get("alerts?open=true&limit=200");
  store.alerts = new Map(items.map((alert) => [alert.id, alert]));
  changed("alerts");
}

/** Keep an order's detail (offers, events) when a list item without them replaces it. */
function mergeDetail(order) {
  const known = store.orders.get(order.id);
  if (known && !order.events && known.events) return { ...order, offers: known.offers, events: known.events };
  return order;
}

const dueOrders = new Set();
let orderTimer = null;

/**
 * Re-read an order soon (events often come in bursts for one order). The first event of a
 * burst sets the time: later ones join it rather than put it off, or a steady stream of
 * events would put it off for ever.
 */
export function refreshOrder(orderId) {
  dueOrders.add(orderId);
  orderTimer ||= setTimeout(flushOrders, 60);
}

async function flushOrders() {
  orderTimer = null;
  const ids = [...dueOrders];
  dueOrders.clear();
  const orders = await Promise.all(ids.map((id) => get(`orders/${encodeURIComponent(id)}`).catch(() => null)));
  for (const order of orders) if (order) store.orders.set(order.id, order);
  changed("orders");
}

/** Load one order with offers and events, for the detail view. */
export async function loadOrder(orderId) {
  const order = await get(`orders/${encodeURIComponent(orderId)}`);
  store.orders.set(order.id, order);
  changed("orders");
  return order;
}

let installersTimer = null;

/** Workloads change with offers and jobs: re-read installers, at most about once a second. */
export function refreshInstallersSoon() {
  if (installersTimer) return;
  installersTimer = setTimeout(() => {
    installersTimer = null;
    loadInstallers().catch(() => {});
  }, 800);
}

export function installerName(id) {
  return (id && store.installers.get(id)?.name) || id || "";
}

export function zoneName(id) {
  return (id && store.zones.get(id)?.name) || id || "";
}
