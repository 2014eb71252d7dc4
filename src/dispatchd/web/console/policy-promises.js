// The promise ladders of the policy (appointment, arrival, completion), the longest arrival
// window and the ranking weights. Like the offer's ladder, the server judges: its errors come
// back by path (promises.arrival[1].amount, max_window_s, ranking.rating) and are shown at
// the step and field they name.

import { h } from "/web/dom.js";
import { duration } from "/web/format.js";
import { focusWhenShown } from "/web/focus.js";
import { t } from "/web/i18n.js";

export const PROMISE_KINDS = ["appointment", "arrival", "completion"];
const ACTIONS = ["remind", "alert", "penalize", "reassign"];
const WEIGHTS = ["distance_km", "active_jobs", "rating"];

/**
 * @param {object} draft  the policy being edited (promises, max_window_s, ranking)
 * @param {{errorsFor: Function, fieldError: Function, describedBy: Function, invalid: Function,
 *          numberOrText: Function, redraw: Function, currency: string}} ui
 */
export function promiseSections(draft, ui) {
  draft.promises = draft.promises || { appointment: [], arrival: [], completion: [] };
  return [
    h(
      "section.promise-ladders",
      { "aria-labelledby": "promises-policy-title" },
      h("h2", { id: "promises-policy-title" }, t("promises_policy_title")),
      h("p.muted", {}, t("promises_policy_hint")),
      PROMISE_KINDS.map((kind) => ladder(draft, kind, ui)),
    ),
    h(
      "section.policy-settings.card.window-ranking",
      { "aria-labelledby": "window-ranking-title" },
      h("h2", { id: "window-ranking-title" }, t("window_and_ranking")),
      numberField(ui, {
        id: "max-window",
        field: "max_window_s",
        label: t("max_window_s"),
        value: draft.max_window_s,
        hint: typeof draft.max_window_s === "number" ? t("seconds_are", { text: duration(draft.max_window_s) }) : null,
        set: (value) => (draft.max_window_s = value),
      }),
      h("p.muted.small.ranking-hint", {}, t("ranking_hint")),
      WEIGHTS.map((weight) =>
        numberField(ui, {
          id: `ranking-${weight}`,
          field: `ranking.${weight}`,
          label: t(`ranking_${weight}`),
          value: draft.ranking?.[weight],
          step: "0.1",
          set: (value) => {
            draft.ranking = { ...draft.ranking, [weight]: value };
          },
        }),
      ),
    ),
  ];
}

function numberField(ui, { id, field, label, value, hint, step, set }) {
  const hintId = hint ? `${id}-hint` : null;
  return h(
    "div.field",
    {},
    h("label", { for: id }, label),
    h("input", {
      id,
      type: "number",
      step: step || "1",
      inputmode: step ? "decimal" : "numeric",
      value: value == null ? "" : String(value),
      "aria-invalid": ui.invalid(field),
      "aria-describedby": [hintId, ui.describedBy(field)].filter(Boolean).join(" ") || null,
      oninput: (event) => set(ui.numberOrText(event.target.value)),
    }),
    hint ? h("span.hint", { id: hintId }, hint) : null,
    ui.fieldError(field),
  );
}

function ladder(draft, kind, ui) {
  const steps = draft.promises[kind] || (draft.promises[kind] = []);
  const prefix = `promises.${kind}`;
  const titleId = `ladder-${kind}-title`;
  return h(
    `fieldset.ladder.card.ladder-${kind}`,
    { "aria-labelledby": titleId, dataset: { kind } },
    h("legend", { id: titleId }, t(`ladder_${kind}`)),
    ui.fieldError(prefix),
    steps.length
      ? h("ol.promise-steps", {}, steps.map((step, index) => stepRow(draft, kind, steps, step, index, ui)))
      : h("p.muted.small", {}, t("ladder_empty")),
    h(
      "button.btn.small.secondary.add-promise-step",
      {
        type: "button",
        "data-focus-key": `add-${kind}-step`,
        onclick: () => {
          const last = steps[steps.length - 1];
          const at = last?.action === "reassign" ? steps.length - 1 : steps.length;
          steps.splice(at, 0, { after_s: steps.length ? 1800 : 0, action: "remind" });
          focusWhenShown(`${kind}-${at}-after`);
          ui.redraw();
        },
      },
      `+ ${t("add_step")}`,
    ),
  );
}

function stepRow(draft, kind, steps, step, index, ui) {
  const path = `promises.${kind}[${index}]`;
  const id = (name) => `${kind}-${index}-${name}`;
  return h(
    "li.promise-step",
    { dataset: { index: String(index) } },
    h("span.step-label", {}, t("step", { n: index + 1 })),
    h(
      "div.field",
      {},
      h("label", { for: id("after") }, t("after_s")),
      h("input", {
        id: id("after"),
        "data-focus-key": id("after"),
        type: "number",
        inputmode: "numeric",
        value: String(step.after_s),
        "aria-invalid": ui.invalid(`${path}.after_s`),
        "aria-describedby": ui.describedBy(`${path}.after_s`),
        oninput: (event) => (step.after_s = ui.numberOrText(event.target.value)),
      }),
      ui.fieldError(`${path}.after_s`),
    ),
    h(
      "div.field",
      {},
      h("label", { for: id("action") }, t("action")),
      h(
        "select",
        {
          id: id("action"),
          "aria-invalid": ui.invalid(`${path}.action`),
          "aria-describedby": ui.describedBy(`${path}.action`),
          onchange: (event) => {
            step.action = event.target.value;
            if (step.action === "penalize" && !step.amount) step.amount = 1000;
            if (step.action !== "penalize") delete step.amount;
            ui.redraw();
          },
        },
        ACTIONS.map((action) =>
          h("option", { value: action, selected: step.action === action }, t(actionLabel(action))),
        ),
      ),
      ui.fieldError(`${path}.action`),
    ),
    step.action === "penalize"
      ? h(
          "div.field",
          {},
          h("label", { for: id("amount") }, t("penalty_amount", { currency: ui.currency })),
          h("input", {
            id: id("amount"),
            type: "number",
            step: "0.01",
            inputmode: "decimal",
            value: step.amount == null ? "" : String(step.amount / 100),
            "aria-invalid": ui.invalid(`${path}.amount`),
            "aria-describedby": ui.describedBy(`${path}.amount`),
            oninput: (event) => (step.amount = Math.round(Number(event.target.value) * 100)),
          }),
          ui.fieldError(`${path}.amount`),
        )
      : h("div"),
    h(
      "button.btn.small.secondary.remove-promise-step",
      {
        type: "button",
        "data-focus-key": id("remove"),
        "aria-label": `${t("remove_step")} ${t("step", { n: index + 1 })} · ${t(`ladder_${kind}`)}`,
        onclick: () => {
          steps.splice(index, 1);
          focusWhenShown(steps.length ? `${kind}-${Math.min(index, steps.length - 1)}-remove` : `add-${kind}-step`);
          ui.redraw();
        },
      },
      t("remove_step"),
    ),
  );
}

function actionLabel(action) {
  return action === "remind" || action === "penalize" ? `action_${action}_promise` : `action_${action}`;
}
