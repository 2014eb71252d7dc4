// The server's problem+json answer on a job's form: each error beside the field it names, and
// what names no field of the form in the form's message at its top.

import { h } from "/web/dom.js";

/** The errors the server named for this field (saved.errors: the problem's `errors`). */
export function errorsAt(saved, field) {
  return (saved.errors || []).filter((error) => error.field === field);
}

/** The message beside a field (or a group of fields), or null when they are fine. */
export function fieldError(saved, fields, id) {
  const errors = fields.flatMap((field) => errorsAt(saved, field));
  return errors.length ? h("span.error", { id, role: "alert" }, errors.map((error) => error.message).join("; ")) : null;
}

/** The form's top message: what the server said that no field of the form explains. */
export function formMessage(saved) {
  const message = h("p.form-message", { role: "alert", hidden: !saved.message }, saved.message || "");
  if (saved.messageKind) message.classList.add(saved.messageKind);
  return message;
}

/**
 * Keep a refusal on the form: errors on the form's own fields go beside them, anything else
 * (a conflict, an error on another field) becomes the form's message.
 */
export function rememberRefusal(saved, error, fields) {
  const named = (error.fieldErrors || []).filter((item) => fields.includes(item.field));
  saved.errors = named;
  saved.message = named.length === (error.fieldErrors || []).length && named.length ? "" : error.message;
  saved.messageKind = "danger";
}
