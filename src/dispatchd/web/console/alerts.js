// The inbox: revoked offers, orders waiting for a dispatcher, follow-up calls, failed SMS,
// broken promises, jobs handed back and customers asking to move their window.
//
// A dispatcher keeps it open all day, so it is grouped (by type, then the alerts about one
// order folded into one row), filtered (type, zone, words) and acknowledged by selection.
// Events change it all the time: rows are updated in place by their key and only new or
// closed ones are added or removed, so a ticked box, a chosen filter, an unfolded row, the
// scroll position and the focus all stay where the dispatcher left them.

import { post } from "/web/api.js";
import { h } from "/web/dom.js";
import { dateTime, shortTime } from "/web/format.js";
import { keepFocus } from "/web/focus.js";
import { has, language, t } from "/web/i18n.js";
import { problemMessage } from "/web/problems.js";
import { toast } from "/web/toast.js";
import { changed, installerName, store } from "./store.js";

// The server's detail of a low-rating follow-up when the customer left no comment.
const RATING_WITHOUT_COMMENT = "rating";
// Groups in the order a dispatcher works them: orders nobody is working on first.
const TYPE_ORDER = [
  "needs_dispatcher",
  "no_eligible_installer",
  "offer_revoked",
  "job_handed_back",
  "promise_breached",
  "reschedule_requested",
  "follow_up_required",
  "message_undelivered",
];
const NO_ZONE = "none";
// The most ids one acknowledgement request may carry (POST /alerts/ack).
const ACK_BATCH = 200;

const filters = { type: "", zone: "", text: "" };
const selected = new Set();
const expanded = new Set();
const sections = new Map();
let acking = false;
let wired = false;

const $ = (id) => document.getElementById(id);

/** Bring the inbox up to date with the store without redrawing what the dispatcher uses. */
export function renderAlerts() {
  wireControls();
  fillFilterOptions();
  const all = [...store.alerts.values()];
  for (const id of [...selected]) if (!store.alerts.has(id)) selected.delete(id);
  const shown = all.filter(matchesFilters);
  const groups = groupRows(shown);
  const shownIds = shown.map((alert) => alert.id);
  const pickedShown = shownIds.filter((id) => selected.has(id));

  $("alert-count").textContent = String(all.length);
  $("alert-count").classList.toggle("hot", all.length > 0);
  $("alerts-none").hidden = all.length > 0;
  $("alerts-none-shown").hidden = all.length === 0 || shown.length > 0;
  const narrowed = shown.length !== all.length;
  $("alert-shown").hidden = !narrowed;
  if (narrowed) setText($("alert-shown"), t("alerts_shown", { shown: shown.length, total: all.length }));

  const selectAll = $("alert-select-all");
  selectAll.disabled = shown.length === 0;
  selectAll.checked = shown.length > 0 && pickedShown.length === shown.length;
  selectAll.indeterminate = pickedShown.length > 0 && pickedShown.length < shown.length;
  const ackSelected = $("alert-ack-selected");
  setText(ackSelected, t("alerts_ack_selected", { count: pickedShown.length }));
  ackSelected.disabled = acking || pickedShown.length === 0;

  const list = $("alert-list");
  const anchor = scrollAnchor(list);
  keepFocus(
    list,
    () => placeChildren(list, TYPE_ORDER.filter((type) => groups.has(type)).map((type) => section(type, groups.get(type)))),
    () => $("alerts-title"),
  );
  for (const type of [...sections.keys()]) if (!groups.has(type)) sections.delete(type);
  restoreScroll(anchor);
}

/** Selected alerts the dispatcher can see now: what "Acknowledge selected" acts on. */
function selectedShown() {
  return [...store.alerts.values()].filter((alert) => selected.has(alert.id) && matchesFilters(alert)).map((a) => a.id);
}

function wireControls() {
  if (wired) return;
  wired = true;
  $("alert-filter-type").addEventListener("change", (event) => {
    filters.type = event.target.value;
    renderAlerts();
  });
  $("alert-filter-zone").addEventListener("change", (event) => {
    filters.zone = event.target.value;
    renderAlerts();
  });
  $("alert-filter-text").addEventListener("input", (event) => {
    filters.text = event.target.value;
    renderAlerts();
  });
  $("alert-select-all").addEventListener("change", (event) => {
    const ids = [...store.alerts.values()].filter(matchesFilters).map((alert) => alert.id);
    for (const id of ids) event.target.checked ? selected.add(id) : selected.delete(id);
    renderAlerts();
  });
  $("alert-ack-selected").addEventListener("click", () => acknowledge(selectedShown()));
}

/** The filters' options: every type, and the zones the dispatcher sees (kept as chosen). */
function fillFilterOptions() {
  syncOptions($("alert-filter-type"), [["", t("alerts_filter_all_types")], ...TYPE_ORDER.map((type) => [type, t(`alert_${type}`)])]);
  const zones = [...store.zones.values()].sort((a, b) => a.name.localeCompare(b.name));
  syncOptions($("alert-filter-zone"), [
    ["", t("alerts_filter_all_zones")],
    ...zones.map((zone) => [zone.id, zone.name]),
    [NO_ZONE, t("alerts_filter_no_zone")],
  ]);
  filters.type = $("alert-filter-type").value;
  filters.zone = $("alert-filter-zone").value;
}

/** Make a select's options these [value, label] pairs, touching only what differs. */
function syncOptions(select, pairs) {
  const current = [...select.options];
  const same = current.length === pairs.length && current.every((option, i) => option.value === pairs[i][0]);
  if (!same) {
    const value = select.value;
    select.replaceChildren(...pairs.map(([v, label]) => h("option", { value: v }, label)));
    select.value = pairs.some(([v]) => v === value) ? value : "";
    return;
  }
  current.forEach((option, i) => setText(option, pairs[i][1]));
}

function alertZone(alert) {
  if (alert.zone_id !== undefined) return alert.zone_id;
  const order = store.orders.get(alert.order_id);
  return order ? order.zone_id : undefined;
}

function matchesFilters(alert) {
  if (filters.type && alert.type !== filters.type) return false;
  if (filters.zone) {
    const zone = alertZone(alert);
    if (filters.zone === NO_ZONE ? zone !== null : zone !== filters.zone) return false;
  }
  const words = filters.text.trim().toLowerCase();
  if (!words) return true;
  const order = store.orders.get(alert.order_id);
  const haystack = [
    order?.product,
    order?.address,
    order?.customer?.name,
    installerName(alert.installer_id),
    order?.installer_id ? installerName(order.installer_id) : "",
    alert.detail,
  ]
    .filter(Boolean)
    .join(" ")
    .toLowerCase();
  return words.split(/\s+/).every((word) => haystack.includes(word));
}

/** type → rows, a row being the alerts of that type about one order, newest row first. */
function groupRows(alerts) {
  const groups = new Map();
  for (const alert of alerts) {
    if (!groups.has(alert.type)) groups.set(alert.type, new Map());
    const rows = groups.get(alert.type);
    if (!rows.has(alert.order_id)) rows.set(alert.order_id, []);
    rows.get(alert.order_id).push(alert);
  }
  for (const [type, rows] of groups) {
    const ordered = [...rows.values()].map((row) => row.sort((a, b) => b.at.localeCompare(a.at) || a.id.localeCompare(b.id)));
    // A row keeps its place while more alerts about its order arrive: rows go by their first
    // alert, so only a new row appears at the top and nothing moves under the pointer.
    const first = (row) => row[row.length - 1];
    ordered.sort((a, b) => first(b).at.localeCompare(first(a).at) || first(a).id.localeCompare(first(b).id));
    groups.set(type, ordered);
  }
  return groups;
}

function section(type, rows) {
  let part = sections.get(type);
  if (!part) {
    const titleId = `alert-group-${type}`;
    part = {
      count: h("span.count"),
      name: h("span"),
      list: h("ul.alert-rows", { "aria-labelledby": titleId }),
      rows: new Map(),
    };
    part.el = h(
      `section.alert-group.group-${type}`,
      { dataset: { type } },
      h("h3.alert-group-title", { id: titleId }, part.name, " ", part.count),
      part.list,
    );
    sections.set(type, part);
  }
  setText(part.name, t(`alert_${type}`));
  setText(part.count, String(rows.reduce((sum, row) => sum + row.length, 0)));
  const keys = new Set();
  const items = rows.map((alerts) => {
    const key = `${type}:${alerts[0].order_id}`;
    keys.add(key);
    if (!part.rows.has(key)) part.rows.set(key, newRow(key));
    const row = part.rows.get(key);
    updateRow(row, alerts);
    return row.el;
  });
  for (const key of [...part.rows.keys()]) if (!keys.has(key)) part.rows.delete(key);
  placeChildren(part.list, items);
  return part.el;
}

/** A row's lasting controls; updateRow fills in what the alerts say. */
function newRow(key) {
  const row = { key, alerts: [] };
  row.check = h("input.alert-check", {
    type: "checkbox",
    "data-focus-key": `check-${key}`,
    onchange: () => {
      for (const alert of row.alerts) row.check.checked ? selected.add(alert.id) : selected.delete(alert.id);
      renderAlerts();
    },
  });
  row.type = h("span.alert-type-name");
  row.fold = h("span.alert-fold-count");
  row.order = h("div.alert-order");
  row.installer = h("div.alert-installer");
  row.detail = h("div.alert-detail.muted");
  row.time = h("time");
  row.toggle = h("button.btn.small.ghost.fold-toggle", {
    type: "button",
    "data-focus-key": `fold-${key}`,
    "aria-controls": `fold-${key}`,
    onclick: () => {
      expanded.has(key) ? expanded.delete(key) : expanded.add(key);
      renderAlerts();
    },
  });
  row.open = h("a.btn.small.secondary", { "data-focus-key": `open-${key}` });
  row.ack = h("button.btn.small.ack", {
    type: "button",
    "data-focus-key": `ack-${key}`,
    onclick: () => acknowledge(row.alerts.map((alert) => alert.id)),
  });
  row.folded = h("ul.alert-folded", { id: `fold-${key}` });
  row.foldedItems = new Map();
  row.el = h(
    "li.alert-item",
    { dataset: { rowKey: key } },
    h(
      "div.alert-head",
      {},
      row.check,
      h("div.alert-main", {}, h("div.alert-type", {}, row.type, row.fold, row.time), row.order, row.installer, row.detail),
    ),
    h("div.alert-foot", {}, row.toggle, row.open, row.ack),
    row.folded,
  );
  return row;
}

/** Everything a row shows: when it is the same as last time, the row is left alone. */
function rowSignature(row, alerts, order) {
  const [latest] = alerts;
  return JSON.stringify([
    language(),
    alerts.map((alert) => alert.id),
    order && [order.product, order.address, order.rating?.stars],
    latest.installer_id && installerName(latest.installer_id),
    alerts.filter((alert) => selected.has(alert.id)).length,
    expanded.has(row.key),
    acking,
    shortTime(latest.at),
  ]);
}

function updateRow(row, alerts) {
  row.alerts = alerts;
  const [latest] = alerts;
  const order = store.orders.get(latest.order_id);
  const signature = rowSignature(row, alerts, order);
  if (signature === row.signature) return;
  row.signature = signature;
  const count = alerts.length;
  row.el.className = `alert-item type-${latest.type}`;
  row.el.dataset.type = latest.type;
  row.el.dataset.orderId = latest.order_id;
  row.el.dataset.alertId = latest.id;
  row.el.dataset.alertIds = alerts.map((alert) => alert.id).join(" ");
  row.el.dataset.count = String(count);

  const picked = alerts.filter((alert) => selected.has(alert.id)).length;
  row.check.checked = picked === count;
  row.check.indeterminate = picked > 0 && picked < count;
  const what = order ? `${t(`alert_${latest.type}`)} · ${order.product}` : t(`alert_${latest.type}`);
  setAttr(row.check, "aria-label", t("alerts_select_row", { what }));

  setText(row.type, t(`alert_${latest.type}`));
  setText(row.fold, count > 1 ? t("alerts_fold_count", { count }) : "");
  row.fold.hidden = count < 2;
  setText(row.order, order ? `${order.product} · ${order.address}` : "");
  row.order.hidden = !order;
  setText(row.installer, latest.installer_id ? installerName(latest.installer_id) : "");
  row.installer.hidden = !latest.installer_id;
  // A folded row says what each of its alerts is about (a missing code and a low rating are
  // two reasons to call), newest first, each once.
  const details = [...new Set(alerts.filter((alert) => alert.detail).map(describeDetail))];
  setText(row.detail, details.join(" · "));
  row.detail.hidden = !details.length;
  setAttr(row.time, "datetime", latest.at);
  setText(row.time, shortTime(latest.at));

  const open = count > 1 && expanded.has(row.key);
  if (count < 2) expanded.delete(row.key);
  row.toggle.hidden = count < 2;
  setAttr(row.toggle, "aria-expanded", String(open));
  setText(row.toggle, open ? t("alerts_fold_hide") : t("alerts_fold_show", { count }));
  setAttr(row.open, "href", `#/orders/${latest.order_id}`);
  setText(row.open, t("open_order"));
  setText(row.ack, count > 1 ? t("alerts_ack_all", { count }) : t("ack"));
  row.ack.disabled = acking;

  row.folded.hidden = !open;
  const ids = new Set(alerts.map((alert) => alert.id));
  for (const id of [...row.foldedItems.keys()]) if (!ids.has(id)) row.foldedItems.delete(id);
  if (!open) {
    placeChildren(row.folded, []);
    return;
  }
  placeChildren(
    row.folded,
    alerts.map((alert) => {
      if (!row.foldedItems.has(alert.id)) row.foldedItems.set(alert.id, foldedItem(alert));
      const item = row.foldedItems.get(alert.id);
      setAttr(item.time, "datetime", alert.at);
      setText(item.time, shortTime(alert.at));
      setText(item.detail, alert.detail ? describeDetail(alert) : "");
      setText(item.ack, t("ack"));
      item.ack.disabled = acking;
      return item.el;
    }),
  );
}

function foldedItem(alert) {
  const item = { time: h("time"), detail: h("span.alert-detail.muted") };
  item.ack = h("button.btn.small.ack", {
    type: "button",
    "data-focus-key": `ack-${alert.id}`,
    onclick: () => acknowledge([alert.id]),
  });
  item.el = h("li.alert-folded-item", { dataset: { alertId: alert.id } }, item.time, item.detail, item.ack);
  return item;
}

/** Acknowledge alerts (in batches the server takes); they leave the inbox once it agreed. */
async function acknowledge(ids) {
  if (!ids.length || acking) return;
  acking = true;
  renderAlerts();
  try {
    for (let start = 0; start < ids.length; start += ACK_BATCH) {
      const batch = ids.slice(start, start + ACK_BATCH);
      await post("alerts/ack", { ids: batch });
      for (const id of batch) {
        store.alerts.delete(id);
        selected.delete(id);
      }
    }
  } catch (error) {
    toast(problemMessage(error), "danger");
  } finally {
    acking = false;
    changed("alerts");
  }
}

/** An alert.raised event becomes an inbox item at once (its zone is the order's, read soon). */
export function alertFromEvent(data) {
  return {
    id: data.alert_id,
    type: data.type,
    order_id: data.order_id,
    offer_id: data.offer_id || null,
    installer_id: data.installer_id || null,
    zone_id: undefined,
    detail: data.detail || null,
    at: data.at,
    acknowledged_at: null,
  };
}

/** An alert.closed event: the server closed it (acknowledged elsewhere, or its cause settled). */
export function closeAlert(data) {
  if (!store.alerts.delete(data.alert_id)) return;
  selected.delete(data.alert_id);
  changed("alerts");
}

// Toasts are for what needs a person now: an order nobody is working on. "Needs a
// dispatcher" and "no eligible installer" always mean that. A revoked offer or a job handed
// back is usually offered to the next installer in the same transaction, which closes its
// alert at once (alert.closed follows in the same burst of events), so they toast only if still
// open a moment later, that is when the order waits for a manager. Follow-up calls, broken
// promises, reschedule requests and undelivered SMS wait in the inbox: they are today's work,
// not this minute's, and a toast for each would bury the ones that are.
const URGENT = new Set(["needs_dispatcher", "no_eligible_installer", "offer_revoked", "job_handed_back"]);
const TOAST_KEYS = {
  needs_dispatcher: "alert_toast_needs_dispatcher",
  no_eligible_installer: "alert_toast_no_eligible_installer",
  offer_revoked: "alert_revoked_toast",
  job_handed_back: "alert_toast_job_handed_back",
};
const SETTLE_MS = 400;
const TOAST_SECONDS = 6;
let waiting = [];
let waitTimer = null;
let toasted = [];
let toastedTimer = null;

/** A new alert may deserve a toast: decided once its transaction's other events are in. */
export function noticeAlert(alert) {
  if (!URGENT.has(alert.type)) return;
  waiting.push(alert.id);
  if (!waitTimer) waitTimer = setTimeout(toastWaiting, SETTLE_MS);
}

/** One toast at a time: the only new alert, or how many arrived while the last one showed. */
function toastWaiting() {
  waitTimer = null;
  const still = waiting.filter((id) => store.alerts.has(id));
  waiting = [];
  if (!still.length) return;
  toasted.push(...still);
  const message = toasted.length === 1 ? alertToast(store.alerts.get(toasted[0])) : t("alerts_toast_summary", { count: toasted.length });
  toast(message, "warn", TOAST_SECONDS);
  clearTimeout(toastedTimer);
  toastedTimer = setTimeout(() => (toasted = []), TOAST_SECONDS * 1000);
}

function alertToast(alert) {
  const product = store.orders.get(alert.order_id)?.product;
  if (!product) return t("alerts_toast_summary", { count: 1 });
  return t(TOAST_KEYS[alert.type], { product, installer: installerName(alert.installer_id) });
}

/** Put children in this order, moving only what is out of place (a moved node loses focus). */
function placeChildren(parent, nodes) {
  const wanted = new Set(nodes);
  for (const child of [...parent.children]) if (!wanted.has(child)) child.remove();
  let cursor = parent.firstElementChild;
  for (const node of nodes) {
    if (node === cursor) cursor = cursor.nextElementSibling;
    else parent.insertBefore(node, cursor);
  }
}

/** The first row the dispatcher sees and where it is, to keep it there through an update. */
function scrollAnchor(list) {
  const box = scroller();
  const top = box ? box.getBoundingClientRect().top : 0;
  if ((box ? box.scrollTop : window.scrollY) <= 0) return null;
  const row = [...list.querySelectorAll(".alert-item")].find((item) => item.getBoundingClientRect().bottom > top);
  return row ? { box, row, at: row.getBoundingClientRect().top } : null;
}

function restoreScroll(anchor) {
  if (!anchor || !anchor.row.isConnected) return;
  const moved = anchor.row.getBoundingClientRect().top - anchor.at;
  if (!moved) return;
  if (anchor.box) anchor.box.scrollTop += moved;
  else window.scrollBy(0, moved);
}

/** The inbox scrolls on its own beside the board; on a narrow screen the page does. */
function scroller() {
  const aside = $("alerts");
  return getComputedStyle(aside).overflowY === "auto" && aside.scrollHeight > aside.clientHeight ? aside : null;
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function setAttr(el, name, value) {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

/** Alert details are machine words (a flag, a promise) or a sentence: translate what can be. */
function describeDetail({ type, detail, order_id }) {
  if (type === "promise_breached" && has(`promise_${detail}`)) return t("alert_detail_promise", { promise: t(`promise_${detail}`) });
  if (type === "job_handed_back") return t("alert_detail_reason", { reason: detail });
  if (has(`flag_${detail}`)) return t(`flag_${detail}`);
  if (type === "follow_up_required") return lowRating(order_id, detail);
  if (type === "reschedule_requested") return rescheduleWish(detail);
  return detail;
}

/** A follow-up call asked for by one or two stars: the stars (from the order) and the words. */
function lowRating(orderId, detail) {
  const stars = store.orders.get(orderId)?.rating?.stars;
  const comment = detail === RATING_WITHOUT_COMMENT ? "" : detail;
  if (stars && comment) return t("alert_detail_low_rating", { stars, comment });
  if (stars) return t("alert_detail_low_rating_stars", { stars });
  return comment ? t("alert_detail_low_rating_comment", { comment }) : t("alert_detail_low_rating_plain");
}

/** "the reason (prefers 2026-12-03T06:00:00Z)" as the server writes it: the reason, then the wish in local time. */
function rescheduleWish(detail) {
  const wish = /^([\s\S]*) \(prefers (\S+)\)$/.exec(detail);
  if (!wish) return t("alert_detail_reason", { reason: detail });
  return `${t("alert_detail_reason", { reason: wish[1] })} · ${t("alert_detail_prefers", { time: dateTime(wish[2]) })}`;
}
