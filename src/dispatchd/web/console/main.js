// The dispatcher console: a live board, alerts, order details, map, installers, policy, KPIs.

import "/web/strings.js";
import "./strings.js";
import { clientConfig } from "/web/api.js";
import { observeServerTime, setCurrency } from "/web/format.js";
import { keepFocus } from "/web/focus.js";
import { mountLanguageSwitch, translated, translatePage } from "/web/i18n.js";
import { LiveEvents } from "/web/live.js";
import { problemMessage } from "/web/problems.js";
import { mountSession } from "/web/session.js";
import { limitToasts, toast } from "/web/toast.js";
import { alertFromEvent, closeAlert, noticeAlert, renderAlerts } from "./alerts.js";
import { renderBoard, tickBoard, updateBoard } from "./board.js";
import { sizeLoadBars, renderInstallers } from "./installers.js";
import { renderKpis } from "./kpis.js";
import { renderMap } from "./map.js";
import { openNewOrder, setUpNewOrder } from "./new-order.js";
import { renderOrderDetail, updateOrderDetail } from "./order-detail.js";
import { renderPolicy, resetPolicyDraft } from "./policy.js";
// Management pages (zones, users); installers above.
import { renderUsers } from "./users-page.js";
import { renderZones } from "./zones-page.js";
import {
  changed,
  loadAll,
  loadInstallers,
  refreshInstallersSoon,
  refreshOrder,
  store,
  subscribe,
} from "./store.js";

const $ = (id) => document.getElementById(id);
const INSTALLER_EVENTS = new Set([
  "offer.sent",
  "offer.accepted",
  "offer.declined",
  "offer.revoked",
  "offer.withdrawn",
  "order.completed",
  "order.cancelled",
  "order.handed_back",
  "order.reassigned",
  "order.suspended",
  "order.resumed",
]);
let live = null;
let route = { name: "board" };
let renderQueued = false;
let renderedRoute = null;
// Views that bring themselves up to date in place when the route did not change; the others
// (and these, when they answer false) are rendered afresh. Nothing moves under the
// dispatcher, and focus, typing, scroll and open boxes are left alone, so live events need
// not wait for them.
const updates = { order: (view) => updateOrderDetail(view, route.id), board: updateBoard };

boot();

async function boot() {
  translatePage();
  // One toast at a time: a new one replaces the last, so a burst never stacks over the screen.
  limitToasts(1);
  mountLanguageSwitch($("lang"));
  window.addEventListener("languagechange-app", () => {
    renderedRoute = null;
    renderAll();
  });
  window.addEventListener("hashchange", onRoute);
  setUpNewOrder();
  subscribe(onStoreChange);
  setInterval(() => tickBoard($("view")), 1000);
  setInterval(() => {
    if (live && ["map", "installers"].includes(route.name)) loadInstallers().catch(() => {});
  }, 30000);
  store.config = await clientConfig();
  setCurrency(store.config.currency);
  await mountSession({
    roles: ["admin", "manager"],
    wrongRole: "not_console_user",
    signedInParts: ["app-view", "nav", "conn", "who", "logout"],
    onSignedIn: startConsole,
    onSignedOut: () => {
      live?.stop();
      live = null;
    },
  });
}

async function startConsole(who) {
  store.who = who;
  $("nav-users").hidden = who.role !== "admin";
  translated($("who"), "user_role", { user: who.username, role: { key: `role_${who.role}` } });
  live?.stop();
  live = new LiveEvents(onEvent, onConnection);
  live.start();
  await loadAll().catch((error) => toast(problemMessage(error), "danger"));
  onRoute();
}

function onConnection(state) {
  $("conn").className = `conn ${state}`;
  translated($("conn"), `conn_${state}`);
  if (state === "live" && store.who) loadAll().catch(() => {});
}

function onEvent(name, data) {
  observeServerTime(data.at);
  if (name === "alert.raised") {
    const alert = alertFromEvent(data);
    store.alerts.set(alert.id, alert);
    changed("alerts");
    noticeAlert(alert);
  }
  if (name === "alert.closed") closeAlert(data);
  if (data.order_id) refreshOrder(data.order_id);
  if (INSTALLER_EVENTS.has(name)) refreshInstallersSoon();
}

function onRoute() {
  // A view's own settings may follow a "?" (the board's filters): they are not part of the route.
  const [path] = location.hash.replace(/^#\/?/, "").split("?");
  const [name = "board", id] = path.split("/");
  const next = { name: name === "orders" ? "order" : name || "board", id };
  if (route.name === "policy" && next.name !== "policy") resetPolicyDraft();
  route = next;
  for (const link of $("nav").querySelectorAll("a")) {
    const current = link.dataset.route === route.name || (route.name === "order" && link.dataset.route === "board");
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  renderAll();
  $("view").focus({ preventScroll: true });
}

function onStoreChange(topic) {
  // Once a frame at most, however many events a burst brings. Rows show the order's product and
  // address, the installer's name and the zone filter, so those changes reach the inbox too.
  if (["alerts", "orders", "installers", "zones"].includes(topic)) renderAlertsSoon();
  if (topic === "policy") return;
  if (route.name === "policy" || route.name === "kpis") {
    if (topic === "alerts" || topic === "orders") return;
  }
  if (route.name === "order" && topic === "installers") return;
  scheduleRender();
}

let alertsQueued = false;
function renderAlertsSoon() {
  if (alertsQueued) return;
  alertsQueued = true;
  requestAnimationFrame(() => {
    alertsQueued = false;
    renderAlerts();
  });
}

function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    if (!updatesInPlace() && dispatcherIsBusy()) {
      setTimeout(scheduleRender, HOLD_RETRY_MS);
      return;
    }
    renderView();
  });
}

// A live event never redraws the view under the dispatcher's hands: while they type in a field
// of the view, or a two-click confirmation waits for its second click, the redraw waits — the
// data is kept current meanwhile and shown the moment they are done. Their own clicks and
// submits are not held back: what they just did is shown at once.
const HOLD_RETRY_MS = 400;
const CONFIRMATION_HOLD_MS = 15000;
let actedAt = 0;
let confirmingSince = 0;
document.addEventListener("submit", () => (actedAt = Date.now()), true);
document.addEventListener("click", (event) => {
  if (event.target.closest?.("#view button, #view a")) actedAt = Date.now();
}, true);

function dispatcherIsBusy() {
  const view = $("view");
  const now = Date.now();
  if (now - actedAt < 5000) return false;
  const active = document.activeElement;
  const typing = active && view.contains(active) && active.matches("input:not([type=checkbox]):not([type=radio]), textarea, select");
  if (typing) return true;
  if (view.querySelector("[data-confirm='1']")) {
    confirmingSince ||= now;
    return now - confirmingSince < CONFIRMATION_HOLD_MS;
  }
  confirmingSince = 0;
  return false;
}

function updatesInPlace() {
  return Boolean(updates[route.name]) && renderedRoute === `${route.name}/${route.id || ""}`;
}

function renderAll() {
  renderAlerts();
  renderView();
}

/** Re-render the current view, keeping what the user typed and where the focus was. */
function renderView() {
  if (!store.who) return;
  const view = $("view");
  if (updatesInPlace()) {
    let done = false;
    keepFocus(view, () => (done = updates[route.name](view)));
    if (done) return tickBoard(view);
  }
  const here = `${route.name}/${route.id || ""}`;
  const kept = new Map();
  for (const input of view.querySelectorAll("input[id], select[id], textarea[id]")) {
    if (input.type !== "file") kept.set(input.id, input.value);
  }
  const scroll = window.scrollY;
  const open = new Set(here === renderedRoute ? [...view.querySelectorAll("details[open]")].map(detailsKey) : []);
  renderedRoute = here;
  keepFocus(view, () => {
    view.replaceChildren();
    switch (route.name) {
      case "order":
        renderOrderDetail(view, route.id);
        break;
      case "map":
        renderMap(view);
        break;
      case "installers":
        renderInstallers(view, route.id);
        sizeLoadBars(view);
        break;
      case "zones":
        renderZones(view);
        break;
      case "users":
        renderUsers(view);
        break;
      case "policy":
        renderPolicy(view);
        break;
      case "kpis":
        renderKpis(view);
        break;
      default:
        renderBoard(view, { onNewOrder: openNewOrder });
    }
    // Countdowns show their time at once, not a second later.
    tickBoard(view);
    for (const details of view.querySelectorAll("details")) if (open.has(detailsKey(details))) details.open = true;
    for (const [id, value] of kept) {
      const input = document.getElementById(id);
      if (input && view.contains(input) && input.value !== value && route.name !== "policy") input.value = value;
    }
  });
  window.scrollTo(0, scroll);
}

/** A disclosure box is the same box after a redraw when it has the same classes. */
function detailsKey(details) {
  return details.dataset.focusKey || details.className;
}
