// Jobs the installer holds: agree the arrival window with the customer, set off, start and
// complete with photo and service code, or hand the job back or put it on hold.

import { h, replace } from "/web/dom.js";
import { dateTime, money, timeWindow } from "/web/format.js";
import { focusWhenShown } from "/web/focus.js";
import { language, t } from "/web/i18n.js";
import { handBackForm, suspendForm } from "./job-holds.js";
import { windowPicker } from "./window-picker.js";

/**
 * @param {HTMLElement} container
 * @param {object[]} jobs  items of GET /me/jobs
 * @param {{busy: Map<string,string>, onStart: Function, onComplete: Function, openForms: Set<string>, formState: Map<string, object>,
 *          panels: Map<string,string>, maxWindowS: number, onWindow: Function, onOnTheWay: Function, onHandBack: Function,
 *          onSuspend: Function, onResume: Function, rerender: Function}} ctx
 */
export function renderJobs(container, jobs, ctx) {
  replace(container, sortJobs(jobs).map((job) => jobCard(job, jobs, ctx)));
}

/** Whether the customer still waits to hear when the installer comes. */
export function needsWindow(job) {
  return !job.appointment && ["accepted", "suspended"].includes(job.status);
}

/** Jobs still without a window first (they are the next call to make), then by window. */
export function sortJobs(jobs) {
  const key = (job) => (needsWindow(job) ? "" : job.appointment?.window_start || job.started_at || job.accepted_at || "");
  return [...jobs].sort((a, b) => key(a).localeCompare(key(b)));
}

/** The state of one panel of one job's card, kept across redraws. */
export function panelState(ctx, job, panel) {
  const key = `${job.id}:${panel}`;
  if (!ctx.formState.has(key)) ctx.formState.set(key, {});
  return ctx.formState.get(key);
}

function toggle(ctx, job, panel, focusKey) {
  if (ctx.panels.get(job.id) === panel) {
    ctx.panels.delete(job.id);
    focusWhenShown(`${panel}-${job.id}`);
  } else {
    ctx.panels.set(job.id, panel);
    ctx.formState.delete(`${job.id}:${panel}`);
    focusWhenShown(focusKey);
  }
  ctx.rerender();
}

function panelButton(job, ctx, panel, label, focusKey, kind = "secondary") {
  const open = ctx.panels.get(job.id) === panel;
  return h(
    `button.btn.${kind}.open-${panel}`,
    {
      type: "button",
      "aria-expanded": String(open),
      "data-focus-key": `${panel}-${job.id}`,
      onclick: () => toggle(ctx, job, panel, focusKey),
    },
    label,
  );
}

function jobCard(job, jobs, ctx) {
  const titleId = `job-title-${job.id}`;
  const state = ctx.busy.get(job.id);
  const panel = ctx.panels.get(job.id);
  const close = () => {
    ctx.panels.delete(job.id);
    focusWhenShown(`${panel}-${job.id}`);
    ctx.rerender();
  };
  const held = ["accepted", "suspended"].includes(job.status);
  return h(
    `article.job-card.card.status-${job.status}`,
    { "aria-labelledby": titleId, dataset: { orderId: job.id, needsWindow: needsWindow(job) ? "true" : null } },
    h(
      "div.job-head",
      {},
      h("h3", { id: titleId }, job.product),
      h(`span.badge.${job.status}`, {}, t(`status_${job.status}`)),
    ),
    h("p.address", {}, job.address),
    job.notes ? h("p.notes", {}, job.notes) : null,
    h("p.customer", {}, h("span.muted", {}, `${t("customer")}: `), job.customer?.name || ""),
    h("p.job-fee", {}, h("span.muted", {}, `${t("offer_fee")}: `), h("strong", {}, money(job.fee))),
    windowLine(job),
    job.suspension ? holdLine(job) : null,
    job.on_the_way_at && job.status === "accepted"
      ? h("p.on-the-way", {}, t("on_the_way_since", { time: dateTime(job.on_the_way_at) }))
      : null,
    job.started_at ? h("p.muted.small", {}, t("started_at", { time: dateTime(job.started_at) })) : null,
    h(
      "div.links",
      {},
      h(
        "a.btn.secondary.call",
        { href: `tel:${job.customer?.phone || ""}`, "data-focus-key": `call-${job.id}` },
        `☎ ${t("call_customer")}`,
      ),
      h(
        "a.btn.secondary.navigate",
        { href: navigationUrl(job, ctx.mapApp), target: "_blank", rel: "noopener noreferrer", "data-focus-key": `navigate-${job.id}` },
        `➤ ${t("navigate")}`,
      ),
    ),
    state === "queued" ? h("p.queued-note", { role: "status" }, t("queued")) : null,
    held
      ? h(
          "div.links",
          {},
          panelButton(job, ctx, "window", job.appointment ? t("move_window") : t("pick_window"), `day-today-${job.id}`),
          job.status === "accepted" && !job.on_the_way_at
            ? h(
                "button.btn.secondary.on-the-way",
                { type: "button", disabled: !!state, "data-focus-key": `on-the-way-${job.id}`, onclick: () => ctx.onOnTheWay(job) },
                t("on_the_way"),
              )
            : null,
        )
      : null,
    panel === "window" && held
      ? windowPicker(job, {
          jobs,
          maxWindowS: ctx.maxWindowS,
          saved: panelState(ctx, job, "window"),
          busy: !!state,
          onSubmit: ctx.onWindow,
          onClose: close,
          rerender: ctx.rerender,
        })
      : null,
    job.status === "accepted"
      ? h(
          "button.btn.wide.start",
          { type: "button", disabled: !!state, "data-focus-key": `start-${job.id}`, onclick: () => ctx.onStart(job) },
          t("start"),
        )
      : null,
    job.status === "suspended"
      ? h(
          "button.btn.wide.ok.resume",
          { type: "button", disabled: !!state, "data-focus-key": `resume-${job.id}`, onclick: () => ctx.onResume(job) },
          t("resume"),
        )
      : null,
    job.status === "in_progress" ? completion(job, ctx) : null,
    job.status !== "suspended"
      ? h(
          "div.links.exceptions",
          {},
          job.status === "accepted" ? panelButton(job, ctx, "hand-back", t("hand_back"), `hand-back-reason-${job.id}`) : null,
          panelButton(job, ctx, "suspend", t("suspend"), `suspend-reason-${job.id}`),
        )
      : null,
    panel === "hand-back" && job.status === "accepted"
      ? handBackForm(job, { saved: panelState(ctx, job, "hand-back"), busy: !!state, onSubmit: ctx.onHandBack, onClose: close, rerender: ctx.rerender })
      : null,
    panel === "suspend" && job.status !== "suspended"
      ? suspendForm(job, { saved: panelState(ctx, job, "suspend"), busy: !!state, onSubmit: ctx.onSuspend, onClose: close })
      : null,
  );
}

function windowLine(job) {
  if (job.appointment) {
    const { window_start: start, window_end: end, moves } = job.appointment;
    return h(
      "p.window",
      {},
      h("span.muted", {}, `${t("window")}: `),
      h("strong", {}, timeWindow(start, end)),
      moves ? h("span.muted", {}, ` · ${t("moved_n", { n: moves })}`) : null,
    );
  }
  return needsWindow(job) ? h("p.needs-window", {}, `⚠ ${t("agree_window")}`) : null;
}

function holdLine(job) {
  const { reason, note, until, since } = job.suspension;
  return h(
    "div.hold",
    {},
    h("p", {}, h("strong", {}, `${t("on_hold")}: ${t(`hold_${reason}`)}`), ` · ${t("since", { time: dateTime(since) })}`),
    note ? h("p", {}, note) : null,
    h("p.small", {}, until ? t("resumes_at", { time: dateTime(until) }) : t("resumes_by_hand")),
  );
}

/**
 * Directions to the job in the deployment's map app (``map_app`` of /web/config.json): Amap or
 * Baidu where Google's maps do not work, Apple Maps, or a plain geo: link any map app opens.
 */
export function navigationUrl(job, mapApp) {
  const { lat, lon } = job.location;
  const name = encodeURIComponent(job.address);
  const app = mapApp || (language() === "zh-CN" ? "amap" : "google");
  switch (app) {
    case "amap":
      return `https://uri.amap.com/navigation?to=${lon},${lat},${name}&mode=car&coordinate=wgs84&callnative=1`;
    case "baidu":
      return `https://api.map.baidu.com/direction?destination=latlng:${lat},${lon}|name:${name}&coord_type=wgs84&mode=driving&output=html&src=dispatchd`;
    case "apple":
      return `https://maps.apple.com/?daddr=${lat},${lon}&dirflg=d`;
    case "geo":
      return `geo:${lat},${lon}?q=${lat},${lon}(${name})`;
    default:
      return `https://www.google.com/maps/dir/?api=1&destination=${lat},${lon}&hl=${encodeURIComponent(language())}`;
  }
}

function completion(job, ctx) {
  const saved = ctx.formState.get(job.id) || {};
  const open = ctx.openForms.has(job.id);
  if (!open) {
    return h(
      "button.btn.wide.ok.open-complete",
      {
        type: "button",
        "data-focus-key": `complete-${job.id}`,
        onclick: () => {
          ctx.openForms.add(job.id);
          focusWhenShown(`photo-${job.id}`);
          ctx.rerender();
        },
      },
      t("complete"),
    );
  }
  const id = (name) => `${name}-${job.id}`;
  const preview = h("img.preview", { alt: t("photo_preview"), hidden: !saved.previewUrl, src: saved.previewUrl });
  const message = h("p.form-message", { role: "alert", hidden: !saved.message }, saved.message || "");
  if (saved.messageKind) message.classList.add(saved.messageKind);
  const photoInput = h("input", {
    id: id("photo"),
    "data-focus-key": id("photo"),
    name: "photo",
    type: "file",
    accept: "image/*",
    capture: "environment",
    "aria-describedby": id("photo-hint"),
    required: true,
  });
  const codeInput = h("input", {
    id: id("code"),
    name: "service_code",
    inputmode: "numeric",
    autocomplete: "one-time-code",
    pattern: "[0-9]*",
    maxlength: "12",
    "aria-describedby": id("code-hint"),
    value: saved.code || "",
    "aria-invalid": saved.codeInvalid ? "true" : null,
  });
  const notesInput = h("textarea", { id: id("notes"), name: "notes", maxlength: "2000" }, saved.notes || "");
  const submit = h(
    "button.btn.ok.wide.send-completion",
    { type: "submit", disabled: ctx.busy.has(job.id), "data-focus-key": id("send") },
    "",
  );
  const warning = h("p.warning", { hidden: true }, t("no_code_warning"));
  const updateLabel = () => {
    const noCode = !codeInput.value.trim();
    submit.textContent = ctx.busy.get(job.id) === "completing" ? t("sending") : noCode ? t("send_without_code") : t("send_completion");
    warning.hidden = !noCode;
  };
  codeInput.addEventListener("input", () => {
    saved.code = codeInput.value;
    ctx.formState.set(job.id, saved);
    updateLabel();
  });
  notesInput.addEventListener("input", () => {
    saved.notes = notesInput.value;
    ctx.formState.set(job.id, saved);
  });
  if (saved.file && typeof DataTransfer === "function") {
    const kept = new DataTransfer();
    kept.items.add(saved.file);
    photoInput.files = kept.files;
  }
  photoInput.addEventListener("change", () => {
    const file = photoInput.files?.[0];
    if (!file) return;
    if (saved.previewUrl) URL.revokeObjectURL(saved.previewUrl);
    saved.file = file;
    saved.previewUrl = URL.createObjectURL(file);
    ctx.formState.set(job.id, saved);
    preview.src = saved.previewUrl;
    preview.hidden = false;
  });
  updateLabel();
  return h(
    "form.complete-form",
    {
      novalidate: true,
      "aria-label": t("complete_title"),
      onsubmit: (event) => {
        event.preventDefault();
        saved.code = codeInput.value;
        saved.notes = notesInput.value;
        ctx.formState.set(job.id, saved);
        ctx.onComplete(job, saved);
      },
    },
    h("h4", {}, t("complete_title")),
    message,
    h(
      "div.field",
      {},
      h("label", { for: id("photo") }, t("photo")),
      photoInput,
      h("span.hint", { id: id("photo-hint") }, t("photo_hint")),
      preview,
    ),
    h(
      "div.field",
      {},
      h("label", { for: id("code") }, t("service_code")),
      codeInput,
      h("span.hint", { id: id("code-hint") }, t("service_code_hint")),
    ),
    h("div.field", {}, h("label", { for: id("notes") }, t("notes")), notesInput),
    warning,
    h(
      "div.actions",
      {},
      submit,
      h(
        "button.btn.secondary",
        {
          type: "button",
          "data-focus-key": id("cancel"),
          onclick: () => {
            ctx.openForms.delete(job.id);
            focusWhenShown(`complete-${job.id}`);
            ctx.rerender();
          },
        },
        t("cancel"),
      ),
    ),
  );
}
