// What the customer reads: the status in a sentence, the steps so far, the agreed window, how
// far the installer is while on the way, and who is coming. Every part is redrawn from the
// tracking JSON only when its text changed, so nothing jumps and the status is announced once.

import { h, replace } from "/web/dom.js";
import { language, t } from "/web/i18n.js";
import { clock, day, moment, zoneName } from "./zone-time.js";

const $ = (id) => document.getElementById(id);

/** Whether the installer has said they are coming and has not started yet. */
export function onTheWay(view) {
  return view.status === "accepted" && Boolean(view.on_the_way_at || view.distance_km != null);
}

/** The status as the customer would put it ("on the way" is a moment of "accepted"). */
function statusKey(view) {
  return onTheWay(view) ? "status_on_the_way" : `status_${view.status}`;
}

/** The six steps of a job (or those reached and "cancelled"), each done, now or to come. */
export function steps(view) {
  const all = [
    { key: "created", at: view.created_at, done: true },
    { key: "accepted", at: view.accepted_at, done: Boolean(view.accepted_at) },
    { key: "window", at: view.appointment?.set_at, done: Boolean(view.appointment) },
    { key: "on_the_way", at: view.on_the_way_at, done: onTheWay(view) || Boolean(view.on_the_way_at || view.started_at) },
    { key: "started", at: view.started_at, done: Boolean(view.started_at) },
    { key: "completed", at: view.completed_at, done: Boolean(view.completed_at) },
  ];
  // A step passed over (no window agreed before the start) did not happen: it is left out.
  const lastDone = all.map((step) => step.done).lastIndexOf(true);
  const happened = all.filter((step, index) => step.done || index > lastDone);
  const reached = view.cancelled_at
    ? [...all.filter((step) => step.done), { key: "cancelled", at: view.cancelled_at, done: true }]
    : happened;
  const last = reached.map((step) => step.done).lastIndexOf(true);
  return reached.map((step, index) => ({ ...step, state: index === last ? "now" : step.done ? "done" : "next" }));
}

function stepItem(step) {
  return h(
    `li.step.${step.state}`,
    { "aria-current": step.state === "now" ? "step" : null },
    h("span.dot", { "aria-hidden": "true" }),
    h("span.label", {}, t(`step_${step.key}`), h("span.visually-hidden", {}, ` (${t(`step_${step.state}`)})`)),
    step.at ? h("time", { datetime: step.at }, moment(step.at)) : null,
  );
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** Replace a list only when its words changed (a poll with no news leaves the page alone). */
function replaceIfChanged(element, items) {
  const next = items.map((item) => item.textContent).join("|");
  const now = [...element.children].map((item) => item.textContent).join("|");
  if (next !== now) replace(element, items);
}

function showAppointment(view) {
  const appointment = view.appointment;
  const shown = ["accepted", "suspended", "in_progress"].includes(view.status) || Boolean(appointment);
  $("appointment").hidden = !shown || view.status === "cancelled";
  if (!appointment) {
    setText($("window"), t("appointment_none"));
    $("window").classList.remove("agreed");
    setText($("zone-note"), "");
    return;
  }
  const { window_start: start, window_end: end } = appointment;
  setText($("window"), t("appointment_window", { day: day(start), start: clock(start), end: clock(end) }));
  $("window").classList.add("agreed");
  setText($("zone-note"), t("time_zone_note", { zone: zoneName(new Date(start)) }));
}

/** "2.4 km away", "300 m away": what a customer can picture. */
function distanceText(km) {
  if (km < 1) {
    const metres = Math.max(50, Math.round((km * 1000) / 50) * 50);
    return t("distance_m", { m: new Intl.NumberFormat(language()).format(metres) });
  }
  return t("distance_km", { km: new Intl.NumberFormat(language(), { maximumFractionDigits: 1 }).format(km) });
}

function showDistance(view, checkedAt) {
  const coming = onTheWay(view);
  $("distance").hidden = !coming;
  if (!coming) return;
  const known = view.distance_km != null;
  setText($("distance-text"), known ? distanceText(view.distance_km) : t("distance_unknown"));
  const minutes = view.eta_min;
  setText($("eta"), minutes == null ? "" : minutes <= 1 ? t("eta_soon") : t("eta", { minutes: Math.round(minutes) }));
  $("eta").hidden = minutes == null;
  setText($("checked-at"), t("checked_at", { time: clock(checkedAt) }));
}

function showInstaller(view) {
  const installer = view.installer;
  $("installer").hidden = !installer;
  if (!installer) return;
  setText($("installer-name"), installer.name);
  const call = $("installer-call");
  call.href = `tel:${installer.phone}`;
  setText(call.querySelector(".call-name"), t("call", { name: installer.name }));
  setText(call.querySelector(".call-phone"), installer.phone);
}

/** Bring the page's read-only parts in line with the tracking JSON (checked at `checkedAt`). */
export function show(view, checkedAt) {
  setText($("product"), view.product);
  const status = $("status");
  setText(status, t(statusKey(view)));
  status.className = `status ${onTheWay(view) ? "on_the_way" : view.status}`;
  replaceIfChanged($("steps"), steps(view).map(stepItem));
  showDistance(view, checkedAt);
  showAppointment(view);
  showInstaller(view);
}
