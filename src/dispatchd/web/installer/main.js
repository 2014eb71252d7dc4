// The installer's phone app: log in, go on duty, answer offers live, agree the window with the
// customer, do the job, prove it — or hand it back or put it on hold.

import "/web/strings.js";
import "./strings.js";
import { alarm, unlockAudio } from "./alarm.js";
import { ApiError, NetworkError, clientConfig, get, newKey } from "/web/api.js";
import { money, observeServerTime, setCurrency, timeWindow } from "/web/format.js";
import { focusWhenShown, keepFocus } from "/web/focus.js";
import { mountLanguageSwitch, t, translatePage } from "/web/i18n.js";
import { LiveEvents } from "/web/live.js";
import { problemMessage } from "/web/problems.js";
import { mountSession } from "/web/session.js";
import { toast } from "./toast-place.js";
import { renderHistory, renderLedger } from "./earnings.js";
import { refusalText, rememberRefusal } from "./form-errors.js";
import { panelState, renderJobs } from "./jobs.js";
import { lastPosition, startSharing, stopSharing } from "./location.js";
import { notice } from "./notices.js";
import { renderOffers, tickCountdowns } from "./offers.js";
import { flush, onChange, pending, perform } from "./outbox.js";
import { downscale, multipart } from "./photo.js";
import { disablePush, enablePush, pushEnabled, pushSupported } from "./push.js";

const $ = (id) => document.getElementById(id);
const state = {
  me: null,
  offers: [],
  jobs: [],
  penalties: new Map(),
  busy: new Map(),
  openForms: new Set(),
  formState: new Map(),
  panels: new Map(),
  maxWindowS: 14400,
  declining: new Map(),
  mapApp: null,
  view: "work",
  history: { items: [], next: null, loaded: false },
  ledger: null,
  signatures: { offers: "", jobs: "" },
};
let live = null;
let refreshing = null;
let refreshAgain = false;

boot();

async function boot() {
  translatePage();
  mountLanguageSwitch($("lang"));
  window.addEventListener("languagechange-app", () => render(true));
  document.addEventListener("pointerdown", unlockAudio, { passive: true });
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {});
  clientConfig().then((config) => {
    setCurrency(config.currency);
    state.mapApp = config.map_app || null;
    render(true);
  });
  window.addEventListener("hashchange", showView);
  showView();
  $("duty").addEventListener("click", toggleDuty);
  $("push").addEventListener("click", onEnablePush);
  window.addEventListener("offline", updateQueueNote);
  window.addEventListener("online", () => {
    updateQueueNote();
    flush();
  });
  onChange(onQueueChange);
  setInterval(() => tickCountdowns($("offers")), 1000);
  await mountSession({
    roles: ["installer"],
    wrongRole: "bad_login",
    signedInParts: ["app-view", "conn"],
    onSignedIn: startApp,
    onSignedOut: () => {
      live?.stop();
      stopSharing();
    },
    beforeLogOut: async () => {
      await disablePush();
      state.me = null;
    },
    onLogInPressed: unlockAudio,
  });
}

function startApp() {
  // The log-in button that had focus is hidden now: start a keyboard user at the app's top.
  const active = document.activeElement;
  if (!active || active === document.body || !active.checkVisibility()) $("app-view").focus({ preventScroll: true });
  $("push").hidden = !pushSupported() || pushEnabled();
  live?.stop();
  live = new LiveEvents(onEvent, onConnection);
  live.start();
  refresh().then(showView);
  flush();
  updateQueueNote();
  get("policy")
    .then((policy) => {
      state.maxWindowS = policy.max_window_s;
      renderJobsNow(true);
    })
    .catch(() => {});
}

function onConnection(connection) {
  const conn = $("conn");
  conn.className = `conn ${connection}`;
  conn.textContent = t(`conn_${connection}`);
  if (connection === "live") {
    refresh();
    flush();
  }
}

/** Reload the installer's profile, offers and jobs (coalescing overlapping calls). */
function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      const [me, offers, jobs] = await Promise.all([get("me"), get("me/offers"), get("me/jobs")]);
      state.me = me;
      state.offers = offers.items;
      state.jobs = jobs.items;
      for (const id of state.panels.keys()) if (!jobs.items.some((job) => job.id === id)) state.panels.delete(id);
      if (state.offers.some((o) => o.status === "penalized")) await loadPenalties();
      render();
      if (state.view !== "work") await loadView();
    } catch (error) {
      if (!(error instanceof NetworkError)) console.warn(error);
    } finally {
      refreshing = null;
      if (refreshAgain) {
        refreshAgain = false;
        refresh();
      }
    }
  })();
  return refreshing;
}

async function loadPenalties() {
  const ledger = await get(`installers/${encodeURIComponent(state.me.id)}/ledger`);
  const byOffer = new Map();
  for (const entry of ledger.items) {
    if (entry.offer_id && entry.amount < 0) byOffer.set(entry.offer_id, (byOffer.get(entry.offer_id) || 0) - entry.amount);
  }
  state.penalties = byOffer;
}

function render(force = false) {
  const me = state.me;
  if (!me) return;
  $("me-name").textContent = me.name;
  $("me-balance").textContent = money(me.balance);
  for (const id of [...state.declining.keys()]) if (!state.offers.some((o) => o.id === id)) state.declining.delete(id);
  $("me-balance").classList.toggle("negative", me.balance < 0);
  const duty = $("duty");
  duty.setAttribute("aria-checked", String(me.on_duty));
  duty.classList.toggle("on", me.on_duty);
  $("duty-label").textContent = me.on_duty ? t("on_duty") : t("off_duty");
  if (me.on_duty) startSharing();
  else stopSharing();
  const offersSig = JSON.stringify([state.offers, [...state.penalties], [...state.busy], [...state.declining.keys()], me.location]);
  if (force || offersSig !== state.signatures.offers) {
    state.signatures.offers = offersSig;
    keepFocus(
      $("offers"),
      () =>
        renderOffers($("offers"), state.offers, {
          penalties: state.penalties,
          busy: state.busy,
          declining: state.declining,
          position: lastPosition() || me.location,
          onAccept: accept,
          onDecline: decline,
          onOpenDecline: (offer) => {
            state.declining.set(offer.id, {});
            focusWhenShown(`decline-too_far-${offer.id}`);
            render(true);
          },
          onCloseDecline: (offer) => {
            state.declining.delete(offer.id);
            focusWhenShown(`decline-${offer.id}`);
            render(true);
          },
          rerender: () => render(true),
        }),
      () => $("offers-title"),
    );
  }
  $("no-offers").hidden = state.offers.length > 0;
  renderJobsNow(force);
}

function renderJobsNow(force = false) {
  const sig = JSON.stringify([state.jobs, [...state.busy], [...state.openForms], [...state.panels]]);
  if (!force && sig === state.signatures.jobs) return;
  state.signatures.jobs = sig;
  keepFocus(
    $("jobs"),
    () =>
      renderJobs($("jobs"), state.jobs, {
        busy: state.busy,
        openForms: state.openForms,
        formState: state.formState,
        panels: state.panels,
        maxWindowS: state.maxWindowS,
        mapApp: state.mapApp,
        onStart: start,
        onComplete: complete,
        onWindow: setWindow,
        onOnTheWay: onTheWay,
        onHandBack: handBack,
        onSuspend: suspend,
        onResume: resume,
        rerender: () => renderJobsNow(true),
      }),
    () => $("jobs-title"),
  );
  $("no-jobs").hidden = state.jobs.length > 0;
}

function onEvent(name, data) {
  observeServerTime(data.at);
  const offer = state.offers.find((o) => o.id === data.offer_id);
  const product = offer?.order?.product || data.product || t("this_job");
  switch (name) {
    case "offer.sent":
      alarm("offer");
      break;
    case "offer.reminded":
      alarm("reminder");
      break;
    case "offer.penalized":
      state.penalties.set(data.offer_id, (state.penalties.get(data.offer_id) || 0) + Number(data.amount || 0));
      alarm("penalty");
      break;
    case "offer.revoked":
    case "offer.withdrawn":
      // S406: the phone stops waiting for this offer at once.
      state.offers = state.offers.filter((o) => o.id !== data.offer_id);
      state.busy.delete(data.offer_id);
      notice($("notices"), t(name === "offer.revoked" ? "offer_revoked" : "offer_withdrawn", { product }));
      render();
      break;
    case "order.cancelled": {
      const job = state.jobs.find((j) => j.id === data.order_id);
      notice($("notices"), t("order_cancelled", { product: job?.product || product }));
      break;
    }
    case "order.reassigned": {
      // The dispatcher took the job away: it leaves the phone at once, with a word why.
      const job = state.jobs.find((j) => j.id === data.order_id);
      if (state.me && data.installer_id !== state.me.id) break;
      state.jobs = state.jobs.filter((j) => j.id !== data.order_id);
      state.panels.delete(data.order_id);
      state.busy.delete(data.order_id);
      notice($("notices"), t("job_reassigned", { product: job?.product || t("this_job"), reason: data.reason || "" }), "danger");
      render();
      break;
    }
    case "promise.reminded":
    case "promise.penalized": {
      const job = state.jobs.find((j) => j.id === data.order_id);
      const what = t(`promise_due_${data.kind}`, {
        product: job?.product || t("this_job"),
        window: job?.appointment ? timeWindow(job.appointment.window_start, job.appointment.window_end) : "",
      });
      if (name === "promise.penalized") {
        alarm("penalty");
        notice($("notices"), t("promise_penalized", { amount: money(data.amount), what }), "danger");
      } else {
        alarm("reminder");
        notice($("notices"), t("promise_reminded", { what }));
      }
      break;
    }
    default:
      break;
  }
  refresh();
}

async function act(id, busyState, action, onDone, { quiet = false } = {}) {
  unlockAudio();
  state.busy.set(id, busyState);
  render();
  try {
    const result = await perform(action);
    if (result.status === "queued") {
      state.busy.set(id, "queued");
      toast(t("queued"), "warn");
    } else {
      state.busy.delete(id);
      onDone?.(result.data);
    }
  } catch (error) {
    state.busy.delete(id);
    if (quiet && error instanceof ApiError) throw error;
    if (error instanceof ApiError && [404, 409].includes(error.status)) toast(t("offer_gone"), "warn");
    else toast(problemMessage(error), "danger");
    throw error;
  } finally {
    render();
    updateQueueNote();
    refresh();
  }
}

function accept(offer) {
  const path = `/api/v1/offers/${encodeURIComponent(offer.id)}/accept`;
  return act(offer.id, "accepting", { method: "POST", path, label: "accept", meta: { offerId: offer.id } }, () => {
    focusWhenShown(`start-${offer.order_id}`);
    toast(t("accepted_job"), "ok");
  }).catch(() => {});
}

function decline(offer, reason) {
  const path = `/api/v1/offers/${encodeURIComponent(offer.id)}/decline`;
  const action = { method: "POST", path, json: { reason }, label: "decline", meta: { offerId: offer.id } };
  return act(offer.id, "declining", action, () => {
    state.declining.delete(offer.id);
    toast(t("declined_job"));
  }).catch(() => {});
}

/** Show the view the address names: the day's work, the done jobs or the earnings. */
function showView() {
  state.view = { "#/history": "history", "#/earnings": "earnings" }[location.hash] || "work";
  for (const [name, id] of [["work", "work-view"], ["history", "history-view"], ["earnings", "ledger-view"]]) {
    $(id).hidden = state.view !== name;
  }
  for (const tab of document.querySelectorAll(".tabbar a")) {
    if (tab.dataset.view === state.view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  if (state.me && state.view !== "work") loadView().catch(() => {});
}

async function loadView(more = false) {
  if (state.view === "history") {
    const cursor = more && state.history.next ? `&cursor=${encodeURIComponent(state.history.next)}` : "";
    const page = await get(`me/history?limit=20${cursor}`);
    const items = more ? [...state.history.items, ...page.items] : page.items;
    state.history = { items, next: page.next_cursor, loaded: true };
    renderHistory($("history"), state.history, { onMore: () => loadView(true).catch(() => {}) });
  } else if (state.view === "earnings") {
    state.ledger = await get(`installers/${encodeURIComponent(state.me.id)}/ledger?limit=500`);
    renderLedger($("ledger"), state.ledger);
  }
}

function start(job) {
  const path = `/api/v1/orders/${encodeURIComponent(job.id)}/start`;
  return act(job.id, "starting", { method: "POST", path, label: "start", meta: { orderId: job.id } }, () =>
    focusWhenShown(`complete-${job.id}`),
  ).catch(() => {});
}

/**
 * A job's action from one of its panels: on success the panel closes and the focus goes to
 * what comes next; a refusal stays on the panel, each error beside the field it names.
 */
async function jobAction(job, panel, busyState, action, fields, { done, next } = {}) {
  const saved = panel ? panelState(panelCtx(), job, panel) : null;
  try {
    await act(
      job.id,
      busyState,
      { ...action, meta: { orderId: job.id } },
      (order) => {
        if (panel) {
          state.panels.delete(job.id);
          state.formState.delete(`${job.id}:${panel}`);
        }
        if (next) focusWhenShown(next);
        if (done) toast(done(order), "ok");
      },
      { quiet: !!panel },
    );
  } catch (error) {
    if (!panel || !(error instanceof ApiError)) return;
    rememberRefusal(saved, error, fields);
    renderJobsNow(true);
  }
}

function panelCtx() {
  return { formState: state.formState };
}

function orderPath(job, what) {
  return `/api/v1/orders/${encodeURIComponent(job.id)}/${what}`;
}

function setWindow(job, body) {
  const moving = !!job.appointment;
  const action = { method: "PUT", path: orderPath(job, "appointment"), json: body, label: "window" };
  return jobAction(job, "window", "saving", action, ["window_start", "window_end", "reason"], {
    done: (order) =>
      t(moving ? "window_moved" : "window_set", {
        window: timeWindow(order.appointment.window_start, order.appointment.window_end),
      }),
    next: `window-${job.id}`,
  });
}

function onTheWay(job) {
  const action = { method: "POST", path: orderPath(job, "on-the-way"), label: "on_the_way" };
  return jobAction(job, null, "setting-off", action, [], { done: () => t("customer_told_coming"), next: `start-${job.id}` });
}

function handBack(job, body) {
  const action = { method: "POST", path: orderPath(job, "hand-back"), json: body, label: "hand_back" };
  return jobAction(job, "hand-back", "handing-back", action, ["reason"], { done: () => t("handed_back", { product: job.product }) });
}

function suspend(job, body) {
  const action = { method: "POST", path: orderPath(job, "suspend"), json: body, label: "suspend" };
  return jobAction(job, "suspend", "suspending", action, ["reason", "note", "until"], {
    done: () => t("suspended_job"),
    next: `resume-${job.id}`,
  });
}

function resume(job) {
  const action = { method: "POST", path: orderPath(job, "resume"), label: "resume" };
  return jobAction(job, null, "resuming", action, [], { done: () => t("resumed_job"), next: `${job.status === "suspended" && job.suspension?.from_status === "in_progress" ? "complete" : "start"}-${job.id}` });
}

async function complete(job, form) {
  if (!form.file) {
    Object.assign(form, { message: t("photo_required"), messageKind: "danger" });
    renderJobsNow(true);
    return;
  }
  const key = newKey();
  const photo = await downscale(form.file);
  const { body, contentType } = multipart({ service_code: form.code?.trim(), notes: form.notes?.trim() }, photo, key);
  const path = `/api/v1/orders/${encodeURIComponent(job.id)}/complete`;
  const action = { key, method: "POST", path, body, contentType, label: "complete", meta: { orderId: job.id } };
  try {
    await act(job.id, "completing", action, (order) => {
      toast(order?.flags?.length ? t("completed_flagged") : t("completed_ok"), order?.flags?.length ? "warn" : "ok");
      state.openForms.delete(job.id);
      state.formState.delete(job.id);
    }, { quiet: true });
  } catch (error) {
    if (!(error instanceof ApiError)) return;
    const left = error.problem?.attempts_left;
    if (error.status === 422 && left != null) {
      Object.assign(form, {
        message: left > 0 ? t("wrong_code", { n: left }) : t("code_locked"),
        messageKind: "danger",
        codeInvalid: true,
        code: left > 0 ? form.code : "",
      });
      toast(form.message, "danger");
    } else {
      Object.assign(form, { message: refusalText(error), messageKind: "danger" });
      toast(form.message, "danger");
    }
    state.formState.set(job.id, form);
    renderJobsNow(true);
  }
}

async function toggleDuty() {
  if (!state.me) return;
  const wanted = !state.me.on_duty;
  const action = { method: "PUT", path: "/api/v1/me/duty", json: { on_duty: wanted }, label: "duty" };
  await act("duty", "switching", action, (me) => {
    state.me = me;
  }).catch(() => {});
}

async function onEnablePush() {
  unlockAudio();
  $("push-state").textContent = await enablePush();
  $("push").hidden = pushEnabled();
}

function onQueueChange(change) {
  updateQueueNote();
  if (change.type !== "answered" || !change.late) return;
  const id = change.item.meta.offerId || change.item.meta.orderId;
  if (id) state.busy.delete(id);
  const labels = {
    accept: t("accept"),
    decline: t("decline"),
    start: t("start"),
    complete: t("complete"),
    window: t("set_window"),
    on_the_way: t("on_the_way"),
    hand_back: t("hand_back"),
    suspend: t("suspend"),
    resume: t("resume"),
  };
  const outcome = change.result.status === "done" ? "✓" : refusalText(change.result.error);
  const what = `${labels[change.item.label] || change.item.label} ${outcome}`;
  toast(t("sent_after_offline", { what }), change.result.status === "done" ? "ok" : "warn");
  refresh();
}

async function updateQueueNote() {
  const note = $("queue-note");
  const count = (await pending().catch(() => [])).length;
  const offline = navigator.onLine === false;
  note.hidden = !offline && count === 0;
  note.textContent = offline ? t("offline_now") : t("queued_count", { n: count });
  note.classList.toggle("offline", offline);
}
