// Accepted jobs: call the customer, navigate, start, and complete with photo and service code.

import { h, replace } from "/web/dom.js";
import { dateTime } from "/web/format.js";
import { focusWhenShown } from "/web/focus.js";
import { language, t } from "/web/i18n.js";

/**
 * @param {HTMLElement} container
 * @param {object[]} jobs  items of GET /me/jobs
 * @param {{busy: Map<string,string>, onStart: Function, onComplete: Function, openForms: Set<string>, formState: Map<string, object>}} ctx
 */
export function renderJobs(container, jobs, ctx) {
  replace(container, jobs.map((job) => jobCard(job, ctx)));
}

function jobCard(job, ctx) {
  const titleId = `job-title-${job.id}`;
  const state = ctx.busy.get(job.id);
  return h(
    `article.job-card.card.status-${job.status}`,
    { "aria-labelledby": titleId, dataset: { orderId: job.id } },
    h(
      "div.job-head",
      {},
      h("h3", { id: titleId }, job.product),
      h(`span.badge.${job.status}`, {}, t(`status_${job.status}`)),
    ),
    h("p.address", {}, job.address),
    job.notes ? h("p.notes", {}, job.notes) : null,
    h("p.customer", {}, h("span.muted", {}, `${t("customer")}: `), job.customer?.name || ""),
    job.started_at ? h("p.muted.small", {}, t("started_at", { time: dateTime(job.started_at) })) : null,
    h(
      "div.links",
      {},
      h("a.btn.secondary.call", { href: `tel:${job.customer?.phone || ""}`, "data-focus-key": `call-${job.id}` }, `☎ ${t("call")}`),
      h(
        "a.btn.secondary.navigate",
        { href: navigationUrl(job), target: "_blank", rel: "noopener noreferrer", "data-focus-key": `navigate-${job.id}` },
        `➤ ${t("navigate")}`,
      ),
    ),
    state === "queued" ? h("p.queued-note", { role: "status" }, t("queued")) : null,
    job.status === "accepted"
      ? h(
          "button.btn.wide.start",
          { type: "button", disabled: !!state, "data-focus-key": `start-${job.id}`, onclick: () => ctx.onStart(job) },
          t("start"),
        )
      : null,
    job.status === "in_progress" ? completion(job, ctx) : null,
  );
}

/** A map app's directions to the job: Amap for Chinese, otherwise a geo: capable link. */
function navigationUrl(job) {
  const { lat, lon } = job.location;
  const name = encodeURIComponent(job.address);
  if (language() === "zh-CN") {
    return `https://uri.amap.com/navigation?to=${lon},${lat},${name}&mode=car&coordinate=wgs84&callnative=1`;
  }
  return `https://www.google.com/maps/dir/?api=1&destination=${lat},${lon}`;
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
