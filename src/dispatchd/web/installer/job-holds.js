// When a job cannot go ahead: hand it back before starting (said why, then confirmed, since it
// cannot be undone), or put it on hold for one of the contract's reasons, optionally until a
// moment when it resumes by itself.

import { h } from "/web/dom.js";
import { serverNow } from "/web/format.js";
import { focusWhenShown } from "/web/focus.js";
import { t } from "/web/i18n.js";
import { errorsAt, fieldError, formMessage } from "./form-errors.js";

export const HOLD_REASONS = ["customer_absent", "parts_missing", "customer_request", "site_not_ready", "other"];

function invalid(saved, field, id) {
  const bad = errorsAt(saved, field).length > 0;
  return { "aria-invalid": bad ? "true" : null, "aria-describedby": bad ? id : null };
}

/**
 * The hand-back form: a reason, then a confirmation naming what is lost.
 * @param {{saved: object, busy: boolean, onSubmit: Function, onClose: Function, rerender: Function}} ctx
 */
export function handBackForm(job, ctx) {
  const saved = ctx.saved;
  const id = (name) => `${name}-${job.id}`;
  return h(
    "form.job-panel.hand-back-form",
    {
      novalidate: true,
      "aria-labelledby": id("hand-back-title"),
      onsubmit: (event) => {
        event.preventDefault();
        saved.reason = event.target.elements.reason.value;
        if (!saved.reason.trim()) {
          saved.errors = [{ field: "reason", type: "hand_back_reason_required" }];
          saved.confirming = false;
          focusWhenShown(id("hand-back-reason"));
        } else if (!saved.confirming) {
          saved.errors = [];
          saved.confirming = true;
          focusWhenShown(id("confirm-hand-back"));
        } else {
          ctx.onSubmit(job, { reason: saved.reason.trim() });
          return;
        }
        ctx.rerender();
      },
    },
    h("h4", { id: id("hand-back-title") }, t("hand_back_title")),
    formMessage(saved),
    h(
      "div.field",
      {},
      h("label", { for: id("hand-back-reason") }, t("hand_back_reason")),
      h(
        "textarea",
        {
          id: id("hand-back-reason"),
          "data-focus-key": id("hand-back-reason"),
          name: "reason",
          maxlength: "2000",
          ...invalid(saved, "reason", id("hand-back-error")),
          oninput: (event) => {
            saved.reason = event.target.value;
          },
        },
        saved.reason || "",
      ),
      fieldError(saved, ["reason"], id("hand-back-error")),
    ),
    saved.confirming
      ? h(
          "div.confirm",
          { role: "alert" },
          h("p", {}, t("hand_back_confirm", { product: job.product })),
          h(
            "div.actions",
            {},
            h(
              "button.btn.danger.confirm-hand-back",
              { type: "submit", disabled: ctx.busy, "data-focus-key": id("confirm-hand-back") },
              ctx.busy ? t("sending") : t("hand_back_yes"),
            ),
            h(
              "button.btn.secondary",
              {
                type: "button",
                "data-focus-key": id("keep-job"),
                onclick: () => {
                  saved.confirming = false;
                  ctx.onClose();
                },
              },
              t("keep_job"),
            ),
          ),
        )
      : h(
          "div.actions",
          {},
          h("button.btn.danger.ask-hand-back", { type: "submit", "data-focus-key": id("ask-hand-back") }, t("hand_back_next")),
          h("button.btn.secondary", { type: "button", "data-focus-key": id("close-hand-back"), onclick: ctx.onClose }, t("cancel")),
        ),
  );
}

/** A local "2026-11-25T14:00" of an input as an ISO moment (the phone's time zone). */
function localToIso(value) {
  const moment = new Date(value);
  return Number.isNaN(moment.getTime()) ? value : moment.toISOString();
}

function localInputValue(ms) {
  const moment = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}T${pad(moment.getHours())}:${pad(moment.getMinutes())}`;
}

/**
 * The hold form: why (the contract's reasons), a note, and when it may resume by itself.
 * @param {{saved: object, busy: boolean, onSubmit: Function, onClose: Function}} ctx
 */
export function suspendForm(job, ctx) {
  const saved = ctx.saved;
  saved.reason = saved.reason || "customer_absent";
  const id = (name) => `${name}-${job.id}`;
  return h(
    "form.job-panel.suspend-form",
    {
      novalidate: true,
      "aria-labelledby": id("suspend-title"),
      onsubmit: (event) => {
        event.preventDefault();
        const form = event.target.elements;
        Object.assign(saved, { reason: form.reason.value, note: form.note.value, until: form.until.value });
        ctx.onSubmit(job, {
          reason: saved.reason,
          note: saved.note.trim() || null,
          until: saved.until ? localToIso(saved.until) : null,
        });
      },
    },
    h("h4", { id: id("suspend-title") }, t("suspend_title")),
    h("p.muted.small", {}, t("suspend_hint")),
    formMessage(saved),
    h(
      "div.field",
      {},
      h("label", { for: id("suspend-reason") }, t("suspend_reason")),
      h(
        "select",
        {
          id: id("suspend-reason"),
          "data-focus-key": id("suspend-reason"),
          name: "reason",
          ...invalid(saved, "reason", id("suspend-reason-error")),
          onchange: (event) => (saved.reason = event.target.value),
        },
        HOLD_REASONS.map((reason) => h("option", { value: reason, selected: saved.reason === reason }, t(`hold_${reason}`))),
      ),
      fieldError(saved, ["reason"], id("suspend-reason-error")),
    ),
    h(
      "div.field",
      {},
      h("label", { for: id("suspend-note") }, t("suspend_note")),
      h(
        "textarea",
        {
          id: id("suspend-note"),
          name: "note",
          maxlength: "2000",
          ...invalid(saved, "note", id("suspend-note-error")),
          oninput: (event) => (saved.note = event.target.value),
        },
        saved.note || "",
      ),
      fieldError(saved, ["note"], id("suspend-note-error")),
    ),
    h(
      "div.field",
      {},
      h("label", { for: id("suspend-until") }, t("suspend_until")),
      h("input", {
        id: id("suspend-until"),
        name: "until",
        type: "datetime-local",
        value: saved.until || "",
        min: localInputValue(serverNow()),
        ...invalid(saved, "until", id("suspend-until-error")),
        "aria-describedby": [id("suspend-until-hint"), errorsAt(saved, "until").length ? id("suspend-until-error") : null]
          .filter(Boolean)
          .join(" "),
        oninput: (event) => (saved.until = event.target.value),
      }),
      h("span.hint", { id: id("suspend-until-hint") }, t("suspend_until_hint")),
      fieldError(saved, ["until"], id("suspend-until-error")),
    ),
    h(
      "div.actions",
      {},
      h(
        "button.btn.send-suspend",
        { type: "submit", disabled: ctx.busy, "data-focus-key": id("send-suspend") },
        ctx.busy ? t("sending") : t("suspend_send"),
      ),
      h("button.btn.secondary", { type: "button", "data-focus-key": id("close-suspend"), onclick: ctx.onClose }, t("cancel")),
    ),
  );
}
