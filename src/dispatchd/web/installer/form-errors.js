// The server's problem+json answer on a job's form: each error beside the field it names, and
// what names no field of the form in the form's message at its top. The words are the
// phone's own, by each fault's code (see /web/problems.js), never the server's English.

import { h } from "/web/dom.js";
import { fieldMessage, problemMessage } from "/web/problems.js";

/** The errors the server named for this field (saved.errors: the problem's `errors`). */
export function errorsAt(saved, field) {
  return (saved.errors || []).filter((error) => error.field === field);
}

/**
 * The message beside a field (or a group of fields), or null when they are fine. A fault the
 * phone finds itself carries its words in `text`; the server's carry a code (`type`).
 */
export function fieldError(saved, fields, id) {
  const errors = fields.flatMap((field) => errorsAt(saved, field));
  if (!errors.length) return null;
  const words = [...new Set(errors.map((error) => error.text || fieldMessage(error)))].join(" ");
  const english = errors.map((error) => error.message).filter(Boolean);
  return h("span.error", { id, role: "alert", ...(english.length ? { title: english.join("; ") } : {}) }, words);
}

/** The form's top message: what the server said that no field of the form explains. */
export function formMessage(saved) {
  const message = h("p.form-message", { role: "alert", hidden: !saved.message }, saved.message || "");
  if (saved.messageKind) message.classList.add(saved.messageKind);
  return message;
}

/** A refusal in one line of the user's language: its field faults, or what kind of refusal it is. */
export function refusalText(error, faults = error?.fieldErrors || []) {
  const words = [...new Set(faults.map(fieldMessage))];
  return words.length ? words.join(" ") : problemMessage(error);
}

/**
 * Keep a refusal on the form: errors on the form's own fields go beside them, anything else
 * (a conflict, an error on another field) becomes the form's message.
 */
export function rememberRefusal(saved, error, fields) {
  const all = error.fieldErrors || [];
  const named = all.filter((item) => fields.includes(item.field));
  const elsewhere = all.filter((item) => !fields.includes(item.field));
  saved.errors = named;
  saved.message = elsewhere.length ? refusalText(error, elsewhere) : named.length ? "" : problemMessage(error);
  saved.messageKind = "danger";
}
