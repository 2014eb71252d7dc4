// One modal form for the management editors (installer, zone, user, ledger): it lives outside
// the view, so the live re-rendering of the page behind it never wipes what is typed or shown.

import { h, replace } from "/web/dom.js";
import { trapFocus } from "/web/focus.js";
import { t } from "/web/i18n.js";
import { clearProblem, showProblem } from "/web/problems.js";

let dialog = null;

function ensureDialog() {
  if (dialog) return dialog;
  dialog = h("dialog.manage-dialog", { id: "manage-dialog", "aria-labelledby": "manage-title" });
  document.body.append(dialog);
  trapFocus(dialog);
  return dialog;
}

/**
 * Open the dialog with a title, the form's fields and its submit button. `onSubmit(form)`
 * sends the request; a refusal is shown beside the fields it names (labels: API path →
 * label key, for refusals about fields the form does not show), success closes the dialog.
 */
export function openForm({ id, title, fields, submitLabel, onSubmit, labels = {}, onClose, wide = false, extraActions = [] }) {
  const box = h("div.form-error", { id: `${id}-error`, role: "alert", tabindex: "-1", hidden: true });
  const submit = h("button.btn", { type: "submit", id: `${id}-submit` }, submitLabel);
  const form = h(
    "form",
    { id, novalidate: true },
    h("h2", { id: "manage-title" }, title),
    box,
    fields,
    h(
      "div.dialog-actions",
      {},
      extraActions,
      h("button.btn.secondary", { type: "button", id: `${id}-cancel`, onclick: () => close() }, t("cancel")),
      submit,
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblem(form, box);
    submit.disabled = true;
    try {
      await onSubmit(form);
      close();
    } catch (error) {
      showProblem(form, box, error, labels);
    } finally {
      submit.disabled = false;
    }
  });
  const element = ensureDialog();
  element.classList.toggle("wide", wide);
  replace(element, form);
  element.onclose = () => onClose?.();
  if (!element.open) element.showModal();
  form.querySelector("input:not([type=hidden]), select, textarea")?.focus();
  return { form, box, dialog: element };
}

/** Open the dialog with content that is not one form (the ledger), built by `render(box)`. */
export function openPanel({ title, render, onClose }) {
  const element = ensureDialog();
  element.classList.add("wide");
  const body = h("div.panel-body");
  replace(
    element,
    h("div.panel-head", {}, h("h2", { id: "manage-title" }, title), h("button.btn.secondary.small", { type: "button", id: "manage-close", onclick: () => close() }, t("close"))),
    body,
  );
  element.onclose = () => onClose?.();
  if (!element.open) element.showModal();
  render(body);
  return { body, dialog: element };
}

export function close() {
  if (dialog?.open) dialog.close();
}

export function isOpen() {
  return Boolean(dialog?.open);
}

/** A labelled input in the house style; `path` is the API field it sends (for error placement). */
export function field(id, labelKey, path, attrs = {}, hintKey = null) {
  const input = h(attrs.multiline ? "textarea" : "input", { id, name: path, ...attrs, multiline: null, ...(hintKey ? { "aria-describedby": `${id}-hint` } : {}) });
  return h(
    "div.field",
    {},
    h("label", { for: id }, t(labelKey)),
    input,
    hintKey ? h("span.hint", { id: `${id}-hint` }, t(hintKey)) : null,
  );
}

/** Checkboxes for choosing zones; the fieldset carries the API path for errors. */
export function zoneChoice(id, path, zones, chosen, legendKey) {
  return h(
    "fieldset.field.zone-choice",
    { id, "data-field": path },
    h("legend", {}, t(legendKey)),
    zones.length
      ? zones.map((zone) =>
          h(
            "label.check",
            {},
            h("input", { type: "checkbox", value: zone.id, checked: chosen.includes(zone.id), "data-zone": zone.id }),
            ` ${zone.name}`,
          ),
        )
      : h("p.muted", {}, t("no_zones_yet")),
  );
}

export function chosenZones(form, id) {
  return [...form.querySelectorAll(`#${id} input[type=checkbox]:checked`)].map((box) => box.value);
}
