// The policy editor: the offer's escalation ladder, the promise ladders after acceptance, the
// longest window and the ranking. The server is the judge of a valid policy: its problem+json
// answer is shown field by field next to the inputs it names (escalation[1].amount,
// promises.arrival[0].after_s …).

import { get, put } from "/web/api.js";
import { h, replace } from "/web/dom.js";
import { focusWhenShown, keepFocus } from "/web/focus.js";
import { t } from "/web/i18n.js";
import { fieldMessage, problemMessage } from "/web/problems.js";
import { toast } from "/web/toast.js";
import { promiseSections } from "./policy-promises.js";
import { store } from "./store.js";

let draft = null;
let problem = null;

export function renderPolicy(view) {
  view.append(h("div.view-head", {}, h("h1", {}, t("policy_title"))));
  const box = h("div.policy");
  view.append(box);
  if (!draft) {
    box.append(h("p.muted", {}, t("loading")));
    get("policy")
      .then((policy) => {
        store.policy = policy;
        draft = structuredClone(policy);
        fill(box);
      })
      .catch((error) => replace(box, h("p.form-error", {}, error.message)));
    return;
  }
  fill(box);
}

/** Draw the editor, keeping the keyboard user's place (the add-step button if it is gone). */
function fill(box) {
  keepFocus(box, () => draw(box), () => box.querySelector(".add-step"));
}

function draw(box) {
  const shown = new Set();
  const errorsFor = (field) => (problem?.errors || []).filter((error) => error.field === field);
  const fieldError = (field) => {
    const errors = errorsFor(field);
    if (!errors.length) return null;
    shown.add(field);
    const english = errors.map((e) => e.message).join("; ");
    return h("span.error", { id: `err-${field}`, title: english }, errors.map(fieldMessage).join(" "));
  };
  const problemBox = problem ? h("div.form-error.policy-problem", { role: "alert", title: problem.detail || "" }) : null;
  const invalid = (field) => (errorsFor(field).length ? "true" : null);
  const describedBy = (field) => (errorsFor(field).length ? `err-${field}` : null);
  const currency = store.config.currency || "CNY";
  const steps = draft.escalation.map((step, index) => {
    const prefix = `escalation[${index}]`;
    const id = (name) => `step-${index}-${name}`;
    return h(
      "fieldset.step.card",
      { dataset: { index: String(index) } },
      h("legend", {}, t("step", { n: index + 1 })),
      h(
        "div.step-grid",
        {},
        h(
          "div.field",
          {},
          h("label", { for: id("after") }, t("after_s")),
          h("input", {
            id: id("after"),
            type: "number",
            inputmode: "numeric",
            value: String(step.after_s),
            "aria-invalid": invalid(`${prefix}.after_s`),
            "aria-describedby": errorsFor(`${prefix}.after_s`).length ? `err-${prefix}.after_s` : null,
            oninput: (event) => (step.after_s = numberOrText(event.target.value)),
          }),
          fieldError(`${prefix}.after_s`),
        ),
        h(
          "div.field",
          {},
          h("label", { for: id("action") }, t("action")),
          h(
            "select",
            {
              id: id("action"),
              "aria-invalid": invalid(`${prefix}.action`),
              onchange: (event) => {
                step.action = event.target.value;
                if (step.action === "penalize" && !step.amount) step.amount = 1000;
                if (step.action !== "penalize") delete step.amount;
                fill(box);
              },
            },
            ["remind", "penalize", "revoke"].map((action) =>
              h("option", { value: action, selected: step.action === action }, t(`action_${action}`)),
            ),
          ),
          fieldError(`${prefix}.action`),
        ),
        step.action === "penalize"
          ? h(
              "div.field",
              {},
              h("label", { for: id("amount") }, t("penalty_amount", { currency })),
              h("input", {
                id: id("amount"),
                type: "number",
                step: "0.01",
                inputmode: "decimal",
                value: step.amount == null ? "" : String(step.amount / 100),
                "aria-invalid": invalid(`${prefix}.amount`),
                oninput: (event) => (step.amount = Math.round(Number(event.target.value) * 100)),
              }),
              fieldError(`${prefix}.amount`),
            )
          : h("div"),
        h(
          "div.step-buttons",
          {},
          h(
            "button.btn.small.secondary",
            { type: "button", disabled: index === 0, "data-focus-key": `step-${index}-up`, onclick: () => move(box, index, -1) },
            `↑ ${t("move_up")}`,
          ),
          h(
            "button.btn.small.secondary",
            {
              type: "button",
              disabled: index === draft.escalation.length - 1,
              "data-focus-key": `step-${index}-down`,
              onclick: () => move(box, index, 1),
            },
            `↓ ${t("move_down")}`,
          ),
          h(
            "button.btn.small.secondary.remove-step",
            {
              type: "button",
              "data-focus-key": `step-${index}-remove`,
              onclick: () => {
                draft.escalation.splice(index, 1);
                fill(box);
              },
            },
            t("remove_step"),
          ),
        ),
      ),
    );
  });
  replace(
    box,
    h("p.muted.intro", {}, t("policy_hint")),
    problemBox,
    h(
      "form.policy-form",
      {
        novalidate: true,
        onsubmit: (event) => {
          event.preventDefault();
          save(box);
        },
      },
      h("h2", {}, t("offer_ladder_title")),
      steps,
      h(
        "button.btn.secondary.add-step",
        {
          type: "button",
          "data-focus-key": "add-step",
          onclick: () => {
            draft.escalation.splice(Math.max(0, draft.escalation.length - 1), 0, { after_s: 300, action: "remind" });
            fill(box);
          },
        },
        `+ ${t("add_step")}`,
      ),
      h(
        "div.policy-settings.card",
        {},
        h(
          "div.field",
          {},
          h("label", { for: "max-auto" }, t("max_auto_attempts")),
          h("input", {
            id: "max-auto",
            type: "number",
            value: String(draft.max_auto_attempts),
            "aria-invalid": invalid("max_auto_attempts"),
            oninput: (event) => (draft.max_auto_attempts = numberOrText(event.target.value)),
          }),
          fieldError("max_auto_attempts"),
        ),
        h(
          "div.field",
          {},
          h("label", { for: "customer-notice" }, t("customer_notice")),
          h(
            "select",
            { id: "customer-notice", onchange: (event) => (draft.customer_notice = event.target.value) },
            ["on_accept", "on_offer"].map((value) =>
              h("option", { value, selected: draft.customer_notice === value }, t(`notice_${value}`)),
            ),
          ),
        ),
      ),
      promiseSections(draft, { errorsFor, fieldError, describedBy, invalid, numberOrText, redraw: () => fill(box), currency }),
      h("button.btn.save-policy", { type: "submit", "data-focus-key": "save-policy" }, t("save_policy")),
    ),
  );
  if (problemBox) fillProblemBox(problemBox, shown);
}

/**
 * The refusal in the user's words: what no field of the form shows (a rule about the whole
 * ladder, say) is said here; the rest is beside its field.
 */
function fillProblemBox(box, shown) {
  const elsewhere = (problem.errors || []).filter((error) => !shown.has(error.field));
  const lines = elsewhere.map(fieldMessage);
  if (!problem.errors?.length) lines.push(problemMessage(problem.error));
  box.append(h("p", {}, t("policy_invalid")), ...lines.map((line) => h("p", {}, line)));
}

/** Move a step; the focus moves with it (to its other arrow once it reaches an end). */
function move(box, index, by) {
  const [step] = draft.escalation.splice(index, 1);
  const to = index + by;
  draft.escalation.splice(to, 0, step);
  const ends = { up: to === 0, down: to === draft.escalation.length - 1 };
  const arrow = by < 0 ? (ends.up ? "down" : "up") : ends.down ? "up" : "down";
  focusWhenShown(`step-${to}-${arrow}`);
  fill(box);
}

async function save(box) {
  try {
    const saved = await put("policy", draft);
    store.policy = saved;
    draft = structuredClone(saved);
    problem = null;
    toast(t("policy_saved"), "ok");
  } catch (error) {
    problem = { ...(error.problem || { detail: error.message }), error };
  }
  fill(box);
}

function numberOrText(value) {
  const number = Number(value);
  return value.trim() !== "" && Number.isFinite(number) ? number : value;
}

/** Forget the draft when the view is left, so the next visit shows the server's policy. */
export function resetPolicyDraft() {
  draft = null;
  problem = null;
}
