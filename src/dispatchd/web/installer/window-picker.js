// The arrival window picker: a day (today, tomorrow, a date), a block length bounded by the
// policy's longest window, and the day's blocks, each marked where it overlaps a window the
// installer already agreed for another job, so nobody is promised the same hours twice.

import { h } from "/web/dom.js";
import { hourMinute, serverNow, timeWindow } from "/web/format.js";
import { focusWhenShown } from "/web/focus.js";
import { t } from "/web/i18n.js";
import { errorsAt, fieldError, formMessage } from "./form-errors.js";

const HOUR = 3600;
const DAY_STARTS_H = 8;
const DAY_ENDS_H = 20;
const LENGTHS = [HOUR, 2 * HOUR, 3 * HOUR, 4 * HOUR, 6 * HOUR];
const DEFAULT_LENGTH = 2 * HOUR;

/** Block lengths allowed by the policy: two hours when it may, never more than max_window_s. */
export function blockLengths(maxWindowS) {
  const allowed = LENGTHS.filter((length) => length <= maxWindowS);
  return allowed.length ? allowed : [maxWindowS];
}

function defaultLength(maxWindowS) {
  const allowed = blockLengths(maxWindowS);
  return allowed.includes(DEFAULT_LENGTH) ? DEFAULT_LENGTH : allowed[allowed.length - 1];
}

/** Midnight (the phone's time zone) of the chosen day, by the server's clock. */
function dayStart(saved) {
  const now = new Date(serverNow());
  if (saved.day === "date" && saved.date) {
    const [year, month, day] = saved.date.split("-").map(Number);
    return new Date(year, month - 1, day);
  }
  const offset = saved.day === "tomorrow" ? 1 : 0;
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() + offset);
}

function isoDate(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The day's blocks from 08:00 to 20:00, each with what it would clash with. */
export function blocksOf(start, length, otherJobs) {
  const blocks = [];
  const first = new Date(start.getFullYear(), start.getMonth(), start.getDate(), DAY_STARTS_H);
  const last = new Date(start.getFullYear(), start.getMonth(), start.getDate(), DAY_ENDS_H);
  for (let from = first.getTime(); from + length * 1000 <= last.getTime(); from += length * 1000) {
    const to = from + length * 1000;
    const clashes = otherJobs.filter(
      (job) => Date.parse(job.appointment.window_start) < to && Date.parse(job.appointment.window_end) > from,
    );
    blocks.push({
      start: new Date(from).toISOString(),
      end: new Date(to).toISOString(),
      past: from <= serverNow(),
      clashes,
    });
  }
  return blocks;
}

/**
 * The picker form for one job.
 * @param {object} job  an item of GET /me/jobs
 * @param {{jobs: object[], maxWindowS: number, saved: object, busy: boolean, onSubmit: Function, onClose: Function, rerender: Function}} ctx
 */
export function windowPicker(job, ctx) {
  const saved = ctx.saved;
  saved.day = saved.day || "today";
  saved.length = blockLengths(ctx.maxWindowS).includes(saved.length) ? saved.length : defaultLength(ctx.maxWindowS);
  const id = (name) => `${name}-${job.id}`;
  const moving = !!job.appointment;
  const start = dayStart(saved);
  const others = ctx.jobs.filter((other) => other.id !== job.id && other.appointment);
  const blocks = blocksOf(start, saved.length, others);
  const sameDay = others.filter((other) => new Date(other.appointment.window_start).toDateString() === start.toDateString());
  const windowErrors = [...errorsAt(saved, "window_start"), ...errorsAt(saved, "window_end")];
  const change = (apply, focusKey) => (event) => {
    apply(event.target.value);
    if (focusKey) focusWhenShown(focusKey);
    ctx.rerender();
  };

  const dayChoice = (value, label) =>
    h(
      "label.choice",
      {},
      h("input", {
        type: "radio",
        name: id("day"),
        value,
        checked: saved.day === value,
        "data-focus-key": id(`day-${value}`),
        onchange: change((v) => {
          saved.day = v;
          saved.start = null;
          if (v === "date" && !saved.date) saved.date = isoDate(dayStart({ day: "tomorrow" }));
        }, id(`day-${value}`)),
      }),
      h("span", {}, label),
    );

  const blockChoice = (block, index) => {
    const current = moving && job.appointment.window_start === block.start && job.appointment.window_end === block.end;
    const note = block.past
      ? t("block_past")
      : block.clashes.length
        ? t("block_clashes", {
            jobs: block.clashes.map((other) => other.product).join(", "),
          })
        : current
          ? t("block_current")
          : null;
    return h(
      `label.slot${block.clashes.length ? ".clash" : ""}${block.past ? ".past" : ""}${current ? ".current" : ""}`,
      {},
      h("input", {
        type: "radio",
        name: id("block"),
        value: block.start,
        checked: saved.start === block.start,
        disabled: block.past,
        "data-focus-key": id(`block-${index}`),
        "aria-describedby": note ? id(`block-${index}-note`) : null,
        onchange: () => {
          saved.start = block.start;
          saved.end = block.end;
          saved.errors = [];
          saved.message = "";
        },
      }),
      h("span.slot-time", {}, `${hourMinute(block.start)}–${hourMinute(block.end)}`),
      note ? h("span.slot-note", { id: id(`block-${index}-note`) }, block.clashes.length ? `⚠ ${note}` : note) : null,
    );
  };

  return h(
    "form.job-panel.window-form",
    {
      novalidate: true,
      "aria-labelledby": id("window-title"),
      onsubmit: (event) => {
        event.preventDefault();
        const reason = event.target.elements.reason?.value.trim();
        saved.reason = reason;
        const chosen = blocks.find((block) => block.start === saved.start && !block.past);
        if (!chosen) {
          saved.errors = [{ field: "window_start", text: t("choose_block") }];
          focusWhenShown(id(`block-${Math.max(0, blocks.findIndex((block) => !block.past))}`));
          ctx.rerender();
          return;
        }
        ctx.onSubmit(job, { window_start: chosen.start, window_end: chosen.end, reason: reason || null });
      },
    },
    h("h4", { id: id("window-title") }, moving ? t("move_window_title") : t("set_window_title")),
    formMessage(saved),
    h(
      "fieldset.days",
      {},
      h("legend", {}, t("window_day")),
      h("div.choices", {}, dayChoice("today", t("today")), dayChoice("tomorrow", t("tomorrow")), dayChoice("date", t("a_date"))),
      saved.day === "date"
        ? h(
            "div.field",
            {},
            h("label", { for: id("date") }, t("which_date")),
            h("input", {
              id: id("date"),
              type: "date",
              value: saved.date || "",
              min: isoDate(new Date(serverNow())),
              onchange: change((v) => {
                saved.date = v;
                saved.start = null;
              }, id("date")),
            }),
          )
        : null,
    ),
    h(
      "div.field",
      {},
      h("label", { for: id("length") }, t("window_length")),
      h(
        "select",
        { id: id("length"), onchange: change((v) => { saved.length = Number(v); saved.start = null; }, null) },
        blockLengths(ctx.maxWindowS).map((length) =>
          h("option", { value: String(length), selected: length === saved.length }, t("hours_n", { n: length / HOUR })),
        ),
      ),
    ),
    h(
      "div.other-appointments",
      {},
      h("h5", {}, t("other_appointments")),
      sameDay.length
        ? h(
            "ul",
            {},
            sameDay.map((other) =>
              h("li", {}, h("strong", {}, timeWindow(other.appointment.window_start, other.appointment.window_end)), ` ${other.product}`),
            ),
          )
        : h("p.muted.small", {}, t("no_other_appointments")),
    ),
    h(
      "fieldset.slots",
      { "aria-invalid": windowErrors.length ? "true" : null, "aria-describedby": windowErrors.length ? id("window-error") : null },
      h("legend", {}, t("window_block")),
      blocks.map(blockChoice),
      fieldError(saved, ["window_start", "window_end"], id("window-error")),
    ),
    moving
      ? h(
          "div.field",
          {},
          h("label", { for: id("reason") }, t("move_reason")),
          h("input", {
            id: id("reason"),
            name: "reason",
            value: saved.reason || "",
            maxlength: "2000",
            "aria-invalid": errorsAt(saved, "reason").length ? "true" : null,
            "aria-describedby": errorsAt(saved, "reason").length ? id("reason-error") : null,
            oninput: (event) => (saved.reason = event.target.value),
          }),
          fieldError(saved, ["reason"], id("reason-error")),
        )
      : null,
    h(
      "div.actions",
      {},
      h(
        "button.btn.ok.save-window",
        { type: "submit", disabled: ctx.busy, "data-focus-key": id("save-window") },
        ctx.busy ? t("sending") : moving ? t("move_window") : t("set_window"),
      ),
      h("button.btn.secondary", { type: "button", "data-focus-key": id("close-window"), onclick: ctx.onClose }, t("cancel")),
    ),
  );
}
