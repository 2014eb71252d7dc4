// The live board: every open order in the column of its status, the ladder's next step ticking.
//
// A dispatcher keeps the board open all day, so a live event never redraws it: each card is
// keyed by its order's id, kept when the order did not change and patched in place when it did.
// New cards never push a card away under the pointer: while the pointer is over the board, or
// the page is scrolled down, arrivals wait behind a "3 new" chip at the top of their column and
// cards that left a column keep their place; moving away or clicking the chip shows them.
// The filters (zone, installer, flag, text) live in the address, so a reload keeps them.

import { h } from "/web/dom.js";
import { clock, secondsSince, secondsUntil, shortTime, timeWindow } from "/web/format.js";
import { keepFocus } from "/web/focus.js";
import { language, t } from "/web/i18n.js";
import { installerName, store } from "./store.js";

const COLUMNS = ["pending", "offered", "accepted", "suspended", "in_progress", "completed", "cancelled"];
const ENDED_SHOWN = 30;
const FLAGS = ["missing_service_code", "service_code_mismatch", "needs_dispatcher", "outside_zones"];
const FILTER_KEYS = ["zone", "installer", "flag", "q"];
// Countdown colours by the share of the step's period still left.
const CALM_ABOVE = 0.5;
const WARN_ABOVE = 0.2;

let filters = { zone: "", installer: "", flag: "", q: "" };
let board = null;

/** Draw the board afresh (the route was entered), with the filters the address carries. */
export function renderBoard(view, { onNewOrder }) {
  filters = filtersInAddress();
  const head = h(
    "div.view-head",
    {},
    h("h1", {}, t("nav_board")),
    h("div.board-filters", { role: "group", "aria-label": t("board_filters") }, ...filterControls()),
    h(
      "button.btn.new-order",
      { type: "button", "data-focus-key": "new-order", onclick: onNewOrder },
      `+ ${t("new_order")}`,
    ),
  );
  const element = h("div.board", { role: "list" });
  board = { element, head, columns: new Map(), language: language(), pointerInside: false };
  for (const status of COLUMNS) board.columns.set(status, makeColumn(status));
  element.append(...[...board.columns.values()].map((column) => column.section));
  // Only a pointer that moved over the board holds it (not one the board was drawn under).
  element.addEventListener("pointermove", () => (board.pointerInside = true));
  element.addEventListener("pointerleave", () => {
    board.pointerInside = false;
    fill({ release: true });
  });
  view.append(head, element);
  linkNavigation();
  fill({ release: true });
}

/**
 * Patch the board in place after a store change (true), or false when it must be drawn afresh
 * (the language changed, or it is not the board that is shown).
 */
export function updateBoard(view) {
  if (!board || !view.contains(board.element) || board.language !== language()) return false;
  syncFilterChoices();
  const wanted = filtersInAddress();
  if (FILTER_KEYS.some((key) => wanted[key] !== filters[key])) {
    filters = wanted;
    linkNavigation();
    syncFilterControls();
    fill({ release: true });
  } else {
    fill({ release: false });
  }
  return true;
}

/** The filters after the "?" of "#/board?zone=…&q=…" (kept current by every filter change). */
function filtersInAddress() {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  return Object.fromEntries(FILTER_KEYS.map((key) => [key, params.get(key) || ""]));
}

/** Keep the filters in the address, replacing the entry: a filter change is not a page. */
function writeFilters() {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) if (filters[key]) params.set(key, filters[key]);
  const query = params.toString();
  history.replaceState(history.state, "", `#/board${query ? `?${query}` : ""}`);
  linkNavigation();
}

/** The navigation's "Board" link leads back to the board as it is filtered now. */
function linkNavigation() {
  const query = location.hash.split("?")[1];
  document.querySelector("nav a[data-route=board]")?.setAttribute("href", `#/board${query ? `?${query}` : ""}`);
}

function setFilter(key, value) {
  if (filters[key] === value) return;
  filters[key] = value;
  writeFilters();
  board.head.querySelector(".clear-filters").hidden = !FILTER_KEYS.some((name) => filters[name]);
  fill({ release: true });
}

/** The choices of each filter list, as [value, text] pairs. */
function filterChoices() {
  return {
    zone: [...store.zones.values()].map((zone) => [zone.id, zone.name]),
    installer: [...store.installers.values()]
      .map((installer) => [installer.id, installer.name])
      .sort((a, b) => a[1].localeCompare(b[1], language())),
    flag: FLAGS.map((flag) => [flag, flagLabel(flag)]),
  };
}

const ALL_LABELS = { zone: "filter_all_zones", installer: "filter_all_installers", flag: "filter_all_flags" };

function fillSelect(select, key, choices) {
  select.replaceChildren(
    h("option", { value: "" }, t(ALL_LABELS[key])),
    ...choices.map(([value, text]) => h("option", { value, selected: filters[key] === value }, text)),
  );
  select.value = filters[key];
  select.dataset.choices = JSON.stringify(choices);
}

/** Zones and installers load and change while the board is shown: their lists follow. */
function syncFilterChoices() {
  for (const [key, choices] of Object.entries(filterChoices())) {
    const select = board.head.querySelector(`#board-${key}`);
    if (select && select.dataset.choices !== JSON.stringify(choices)) fillSelect(select, key, choices);
  }
}

function filterControls() {
  const choices = filterChoices();
  const select = (key, label) => {
    const element = h("select", { id: `board-${key}`, "aria-label": t(label), onchange: (event) => setFilter(key, event.target.value) });
    fillSelect(element, key, choices[key]);
    return element;
  };
  return [
    h("input", {
      id: "board-search",
      type: "search",
      value: filters.q,
      placeholder: t("search_placeholder"),
      "aria-label": t("search"),
      oninput: (event) => setFilter("q", event.target.value),
    }),
    select("zone", "filter_zone"),
    select("installer", "filter_installer"),
    select("flag", "filter_flag"),
    h(
      "button.btn.secondary.clear-filters",
      { type: "button", hidden: !FILTER_KEYS.some((key) => filters[key]), onclick: clearFilters },
      t("filter_clear"),
    ),
  ];
}

function flagLabel(flag) {
  if (flag === "needs_dispatcher") return t("needs_dispatcher");
  if (flag === "outside_zones") return t("filter_outside_zones");
  return t(`flag_${flag}`);
}

function clearFilters() {
  filters = { zone: "", installer: "", flag: "", q: "" };
  writeFilters();
  syncFilterControls();
  fill({ release: true });
  board.head.querySelector("#board-search").focus();
}

function syncFilterControls() {
  for (const key of FILTER_KEYS) {
    const control = board.head.querySelector(key === "q" ? "#board-search" : `#board-${key}`);
    if (control && control.value !== filters[key]) control.value = filters[key];
  }
  board.head.querySelector(".clear-filters").hidden = !FILTER_KEYS.some((key) => filters[key]);
}

function matches(order) {
  if (filters.zone && order.zone_id !== filters.zone) return false;
  if (filters.installer && (order.installer_id || order.current_offer?.installer_id) !== filters.installer) return false;
  if (filters.flag === "needs_dispatcher" && !order.awaiting_dispatcher) return false;
  if (filters.flag === "outside_zones" && order.zone_id !== null) return false;
  if (FLAGS.slice(0, 2).includes(filters.flag) && !(order.flags.includes(filters.flag) && !order.follow_up)) return false;
  if (!filters.q) return true;
  const text = `${order.product} ${order.address} ${order.customer?.name} ${installerName(order.installer_id)} ${order.id}`;
  return text.toLowerCase().includes(filters.q.toLowerCase());
}

function makeColumn(status) {
  const label = `col-${status}`;
  const count = h("span.count", {}, "0");
  const heading = h("h2", { id: label }, h("span", {}, t(`col_${status}`)), count);
  const chip = h("button.new-chip", { type: "button", hidden: true, onclick: () => fill({ release: true }) });
  const list = h("ul.cards", {});
  const slot = h("div.chip-slot", {}, chip);
  const section = h(`section.column.col-${status}`, { role: "listitem", "aria-labelledby": label, dataset: { status } });
  if (status === "cancelled") {
    // Collapsed until the dispatcher opens it; it stays as they left it while the board is shown.
    section.append(h("details.cancelled-box", { "data-focus-key": "cancelled-column" }, h("summary", {}, heading), slot, list));
  } else {
    section.append(heading, slot, list);
  }
  return { status, section, count, chip, list, cards: new Map() };
}

/** The orders each column should show now, in their order. */
function wantedColumns() {
  const byStatus = Object.fromEntries(COLUMNS.map((status) => [status, []]));
  for (const order of store.orders.values()) {
    if (byStatus[order.status] && matches(order)) byStatus[order.status].push(order);
  }
  for (const list of Object.values(byStatus)) list.sort((a, b) => b.created_at.localeCompare(a.created_at));
  byStatus.completed = byStatus.completed
    .sort((a, b) => (b.completed_at || "").localeCompare(a.completed_at || ""))
    .slice(0, ENDED_SHOWN);
  byStatus.cancelled = byStatus.cancelled
    .sort((a, b) => (b.cancelled_at || "").localeCompare(a.cancelled_at || ""))
    .slice(0, ENDED_SHOWN);
  byStatus.pending.sort((a, b) => Number(b.awaiting_dispatcher) - Number(a.awaiting_dispatcher));
  return byStatus;
}

/** Whether new cards must wait: the dispatcher is pointing at the board or scrolled down it. */
function held() {
  return board.pointerInside || window.scrollY > 0;
}

// Scrolled back to the top, away from the board: what waited is shown.
window.addEventListener(
  "scroll",
  () => {
    if (board && window.scrollY === 0 && !board.pointerInside) fill({ release: true });
  },
  { passive: true },
);

function fill({ release }) {
  if (!board?.element.isConnected) return;
  const wanted = wantedColumns();
  const hold = !release && held();
  keepFocus(board.element, () => {
    for (const column of board.columns.values()) patchColumn(column, wanted[column.status], hold);
  });
  tickBoard(board.element);
}

function patchColumn(column, orders, hold) {
  const wantedIds = orders.map((order) => order.id);
  let shown = wantedIds;
  let waiting = 0;
  if (hold) {
    // Keep every card where it is (patched, even if its order moved on) and count arrivals.
    const present = new Set(column.cards.keys());
    shown = [...column.list.querySelectorAll(":scope > li[data-order-id]")].map((li) => li.dataset.orderId);
    waiting = wantedIds.filter((id) => !present.has(id)).length;
  }
  const keep = new Set(shown);
  for (const [id, card] of column.cards) {
    if (!keep.has(id)) {
      card.li.remove();
      column.cards.delete(id);
    }
  }
  column.list.querySelector(":scope > li.empty")?.remove();
  shown.forEach((id, index) => {
    const order = store.orders.get(id);
    let card = column.cards.get(id);
    if (!card) {
      card = { li: h("li", { dataset: { orderId: id } }), link: null, signature: "" };
      column.cards.set(id, card);
    }
    if (order) patchCard(card, order, column.status);
    const at = column.list.children[index];
    if (at !== card.li) column.list.insertBefore(card.li, at || null);
  });
  if (!shown.length) column.list.append(h("li.empty", {}, t("col_empty")));
  column.count.textContent = String(orders.length);
  column.chip.hidden = waiting === 0;
  if (waiting) {
    column.chip.textContent = t("new_cards", { n: waiting });
    column.chip.setAttribute("aria-label", t("new_cards_label", { n: waiting, column: t(`col_${column.status}`) }));
  }
}

/** What a card shows of its order: when it is the same, the card is left alone. */
function signatureOf(order, status) {
  const offer = order.current_offer;
  return JSON.stringify([
    status,
    order.status,
    order.product,
    order.address,
    order.installer_id,
    installerName(order.installer_id || offer?.installer_id),
    offer && [offer.status, offer.next_step_at, offer.step_started_at, offer.next_action],
    order.awaiting_dispatcher,
    order.zone_id,
    order.flags,
    Boolean(order.follow_up),
    order.suspension?.reason,
    order.appointment && [order.appointment.window_start, order.appointment.window_end],
    nextPromise(order),
    order.created_at,
    order.completed_at,
    order.cancelled_at,
    order.attempts,
  ]);
}

function patchCard(card, order, status) {
  const signature = signatureOf(order, status);
  if (signature === card.signature) return;
  card.signature = signature;
  if (!card.link) {
    card.link = h("a", { href: `#/orders/${order.id}`, "data-focus-key": `order-${order.id}`, dataset: { orderId: order.id } });
    card.li.append(card.link);
  }
  card.link.className = `order-card status-${order.status}`;
  card.link.replaceChildren(...cardContent(order).filter(Boolean));
}

/** The promise whose next step comes first, for a held job's card. */
function nextPromise(order) {
  return (order.promises || [])
    .filter((promise) => promise.next_step_at && promise.next_action)
    .sort((a, b) => a.next_step_at.localeCompare(b.next_step_at))[0];
}

function countdown(step) {
  if (!step?.next_step_at || !step.next_action) return null;
  const dataset = { until: step.next_step_at, action: step.next_action };
  if (step.step_started_at) dataset.from = step.step_started_at;
  return h("span.next", { dataset }, "");
}

function cardContent(order) {
  const offer = order.current_offer;
  const ended = order.completed_at || order.cancelled_at;
  return [
    h("span.product", {}, order.product),
    h("span.address", {}, order.address),
    h(
      "span.meta",
      {},
      order.installer_id || offer
        ? h("span.installer", {}, installerName(order.installer_id || offer?.installer_id))
        : order.status === "pending"
          ? h("span.muted", {}, t("unassigned"))
          : null,
      offer ? h(`span.badge.${offer.status}`, {}, t(`offer_${offer.status}`)) : null,
      order.awaiting_dispatcher ? h("span.badge.pending", {}, t("needs_dispatcher")) : null,
      order.zone_id === null && order.status === "pending"
        ? h("span.badge.pending", {}, t("outside_zones"))
        : null,
      ...order.flags
        .filter(() => !order.follow_up)
        .map((flag) => h("span.badge.flag", {}, `⚑ ${t(`flag_${flag}`)}`)),
      order.suspension ? h("span.badge.suspended", {}, t(`hold_${order.suspension.reason}`)) : null,
    ),
    order.appointment && ["accepted", "suspended"].includes(order.status)
      ? h("span.window", {}, t("window_short", { window: timeWindow(order.appointment.window_start, order.appointment.window_end) }))
      : null,
    offer ? countdown(offer) : countdown(nextPromise(order)),
    h(
      "span.foot",
      {},
      h("time", { datetime: order.created_at }, shortTime(order.created_at)),
      h("span.age", { title: t("age_title"), dataset: { since: order.created_at, ...(ended ? { until: ended } : {}) } }, ""),
      order.attempts > 1 ? h("span", {}, t("attempt_n", { n: order.attempts })) : null,
    ),
  ];
}

/** "12 min", "2 h 5 min", "3 d 4 h": how long a job has been open (or was, once it ended). */
export function jobAge(seconds) {
  const minutes = Math.floor(Math.max(0, seconds) / 60);
  if (minutes < 1) return t("age_under_minute");
  if (minutes < 60) return t("age_minutes", { m: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return t("age_hours", { h: hours, m: minutes % 60 });
  return t("age_days", { d: Math.floor(hours / 24), h: hours % 24 });
}

/** How urgent a countdown is, by the share of its step's period still left. */
export function urgency(left, from, until) {
  const period = (Date.parse(until) - Date.parse(from)) / 1000;
  const share = period > 0 ? left / period : 0;
  if (share > CALM_ABOVE) return "calm";
  return share > WARN_ABOVE ? "warn" : "urgent";
}

/** Move every countdown and job age on the board to the server's current time. */
export function tickBoard(root) {
  for (const next of root.querySelectorAll(".next[data-until]")) {
    const left = secondsUntil(next.dataset.until);
    const text = left > 0 ? t(`next_${next.dataset.action}`, { time: clock(left) }) : t("overdue");
    if (next.textContent !== text) next.textContent = text;
    const level = next.dataset.from ? urgency(left, next.dataset.from, next.dataset.until) : left <= 30 ? "urgent" : "calm";
    for (const name of ["calm", "warn", "urgent"]) next.classList.toggle(name, name === level);
  }
  for (const age of root.querySelectorAll(".age[data-since]")) {
    const end = age.dataset.until ? Date.parse(age.dataset.until) / 1000 : null;
    const seconds = end === null ? secondsSince(age.dataset.since) : end - Date.parse(age.dataset.since) / 1000;
    const text = jobAge(seconds);
    if (age.textContent !== text) age.textContent = text;
  }
}
