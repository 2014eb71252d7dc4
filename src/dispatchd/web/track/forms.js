// The customer's two requests: a rating once the job is done, and a different time while it
// is still to come. Both are built once and kept while the page polls (so typed words and a
// chosen star survive), and a refusal is shown where it belongs: at the field it names, in
// the customer's language (by each fault's code, see /web/problems.js), never the server's.

import { h, replace } from "/web/dom.js";
import { ApiError, newKey } from "/web/api.js";
import { has, t } from "/web/i18n.js";
import { fieldMessage, problemMessage } from "/web/problems.js";
import { utcToWallClock, wallClockToUtc, zoneName } from "./zone-time.js";

/** POST a customer request; resolves {status, body} (body: JSON or a problem document). */
async function send(token, action, json, key) {
  let response;
  try {
    response = await fetch(`/api/v1/track/${encodeURIComponent(token)}/${action}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "Idempotency-Key": key },
      body: JSON.stringify(json),
      credentials: "omit",
      cache: "no-store",
    });
  } catch {
    return { status: 0, body: {} };
  }
  const text = await response.text();
  let body = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { detail: text };
  }
  return { status: response.status, body };
}

// The schema's faults (a star not chosen, a reason left empty) have generic words; where the
// page has the customer's own words for what that field needs (`fix_<field>`), they say it.
const SCHEMA_FAULTS = new Set(["missing", "int_type", "int_parsing", "int_from_float", "string_type", "string_too_short", "greater_than_equal", "less_than_equal"]);

function words(error) {
  if (error.text) return error.text;
  const own = `fix_${String(error.field).split(".").pop()}`;
  return SCHEMA_FAULTS.has(error.type) && has(own) ? t(own) : fieldMessage(error);
}

/** A form's message line and per-field error slots, and how to fill them from a problem. */
function refusals(form, fields) {
  const message = h("p.form-error", { role: "alert", hidden: true });
  form.prepend(message);
  const clear = () => {
    message.hidden = true;
    message.textContent = "";
    message.title = "";
    for (const field of fields) {
      form.querySelector(`[data-error-for="${field}"]`).replaceChildren();
      for (const input of form.querySelectorAll(`[name="${field}"]`)) input.removeAttribute("aria-invalid");
    }
  };
  // `status` 0: the request never reached the server. A fault the page finds itself carries
  // its words in `text`; the server's carry a code (`type`) that names them.
  const showProblem = (problem, status) => {
    const errors = problem.errors || [];
    const unplaced = [];
    for (const error of errors) {
      const field = fields.find((name) => error.field === name || String(error.field).endsWith(`.${name}`));
      if (!field) {
        unplaced.push(error);
        continue;
      }
      const slot = form.querySelector(`[data-error-for="${field}"]`);
      slot.append(h("span.error", { title: error.message || "" }, words(error)));
      for (const input of form.querySelectorAll(`[name="${field}"]`)) input.setAttribute("aria-invalid", "true");
    }
    if (unplaced.length || !errors.length) {
      const lines = [...new Set(unplaced.map(words))];
      message.textContent = status === 0 ? t("offline") : lines.join(" ") || problemMessage(new ApiError(status, problem));
      message.title = problem.detail || "";
      message.hidden = !message.textContent;
    }
    const first = form.querySelector("[aria-invalid=true]");
    if (first) first.focus();
  };
  return { clear, showProblem };
}

function errorSlot(field, id) {
  return h("span.field-error", { id, "data-error-for": field, role: "alert" });
}

/** Stars as a radio group: arrows move, Space picks, and each star says "n of 5 stars". */
function starPicker() {
  const paint = (fieldset) => {
    const chosen = Number(fieldset.querySelector("input:checked")?.value || 0);
    for (const label of fieldset.querySelectorAll("label")) label.classList.toggle("on", Number(label.dataset.n) <= chosen);
  };
  const fieldset = h(
    "fieldset.stars",
    { "aria-describedby": "stars-error" },
    h("legend", { "data-i18n": "stars_legend" }, t("stars_legend")),
    h(
      "div.star-row",
      {},
      [1, 2, 3, 4, 5].map((n) => [
        h("input.visually-hidden", { type: "radio", name: "stars", value: String(n), id: `star-${n}`, onchange: () => paint(fieldset) }),
        h(
          "label",
          { for: `star-${n}`, dataset: { n: String(n) } },
          h("span.glyph", { "aria-hidden": "true" }, "★"),
          h("span.visually-hidden.star-name", {}, t("star_label", { n })),
        ),
      ]),
    ),
    errorSlot("stars", "stars-error"),
  );
  return fieldset;
}

/** The rating card: the form while the order may be rated, the given rating after. */
export function ratingCard(token, onRated) {
  const card = h("section.card.rating", { id: "rating", "aria-labelledby": "rating-title", hidden: true });
  let key = newKey();
  const form = h(
    "form.rating-form",
    { novalidate: true },
    h("p.muted", { "data-i18n": "rating_hint" }, t("rating_hint")),
    starPicker(),
    h(
      "div.field",
      {},
      h("label", { for: "rating-comment", "data-i18n": "comment" }, t("comment")),
      h("textarea", { id: "rating-comment", name: "comment", maxlength: "1000", rows: "3", "aria-describedby": "comment-error" }),
      errorSlot("comment", "comment-error"),
    ),
    h("button.btn.send-rating", { type: "submit", "data-i18n": "send_rating" }, t("send_rating")),
  );
  const { clear, showProblem } = refusals(form, ["stars", "comment"]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear();
    const button = form.querySelector("button[type=submit]");
    const chosen = form.querySelector("input[name=stars]:checked");
    const comment = form.elements.comment.value.trim();
    const body = { stars: chosen ? Number(chosen.value) : null, ...(comment ? { comment } : {}) };
    button.disabled = true;
    button.textContent = t("sending");
    const { status, body: answer } = await send(token, "rating", body, key);
    button.disabled = false;
    button.textContent = t("send_rating");
    if (status === 201) {
      key = newKey();
      onRated(answer && answer.stars ? answer : null);
      return;
    }
    showProblem(answer || {}, status);
    if (status === 409) onRated(null);
  });
  card.append(h("h2", { id: "rating-title", "data-i18n": "rating_title" }, t("rating_title")), form, h("div.given", { hidden: true }));
  return card;
}

/** Show the rating form, the given rating, or nothing, as the order allows. */
export function showRating(card, view) {
  const form = card.querySelector("form");
  const given = card.querySelector(".given");
  const title = card.querySelector("h2");
  card.hidden = !view.rating && !view.can_rate;
  form.hidden = Boolean(view.rating) || !view.can_rate;
  given.hidden = !view.rating;
  title.dataset.i18n = view.rating ? "rated_title" : "rating_title";
  title.textContent = t(title.dataset.i18n);
  for (const label of card.querySelectorAll("label[data-n]")) {
    label.querySelector(".star-name").textContent = t("star_label", { n: label.dataset.n });
  }
  if (!view.rating) return;
  const { stars, comment } = view.rating;
  replace(
    given,
    h(
      "p.given-stars",
      {},
      h("span.glyphs", { "aria-hidden": "true" }, "★".repeat(stars) + "☆".repeat(5 - stars)),
      h("span.visually-hidden", {}, t("rated_stars", { n: stars })),
    ),
    comment ? h("blockquote.given-comment", {}, comment) : null,
    h("p.muted", {}, t("rated_thanks")),
  );
}

/** The "different time" card: a disclosure holding the reason and a preferred start. */
export function rescheduleCard(token, now) {
  const card = h("section.card.reschedule", { id: "reschedule", "aria-labelledby": "reschedule-title", hidden: true });
  let key = newKey();
  const done = h("p.sent", { role: "status" });
  const form = h(
    "form.reschedule-form",
    { novalidate: true },
    h("p.muted", { "data-i18n": "reschedule_hint" }, t("reschedule_hint")),
    h(
      "div.field",
      {},
      h("label", { for: "reschedule-reason", "data-i18n": "reason" }, t("reason")),
      h("textarea", { id: "reschedule-reason", name: "reason", rows: "2", maxlength: "500", "aria-describedby": "reason-error" }),
      errorSlot("reason", "reason-error"),
    ),
    h(
      "div.field",
      {},
      h("label", { for: "reschedule-start", "data-i18n": "preferred_start" }, t("preferred_start")),
      h("span.hint", { id: "preferred-hint" }, t("preferred_hint", { zone: zoneName() })),
      h("input", {
        id: "reschedule-start",
        name: "preferred_start",
        type: "datetime-local",
        min: utcToWallClock(now()),
        "aria-describedby": "preferred-hint preferred_start-error",
      }),
      errorSlot("preferred_start", "preferred_start-error"),
    ),
    h("button.btn.send-reschedule", { type: "submit", "data-i18n": "send_reschedule" }, t("send_reschedule")),
  );
  const { clear, showProblem } = refusals(form, ["reason", "preferred_start"]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear();
    const typed = form.elements.preferred_start.value;
    const preferred = wallClockToUtc(typed);
    if (typed && !preferred) {
      showProblem({ errors: [{ field: "preferred_start", text: t("invalid_preferred") }] });
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const body = { reason: form.elements.reason.value.trim(), ...(preferred ? { preferred_start: preferred } : {}) };
    const { status, body: answer } = await send(token, "reschedule", body, key);
    button.disabled = false;
    if (status === 202) {
      key = newKey();
      form.hidden = true;
      done.dataset.i18n = "rescheduled";
      done.textContent = t("rescheduled");
      done.hidden = false;
      return;
    }
    showProblem(answer || {}, status);
  });
  done.hidden = true;
  card.append(
    h(
      "details",
      {},
      h("summary", {}, h("span", { id: "reschedule-title", "data-i18n": "reschedule_title" }, t("reschedule_title"))),
      form,
    ),
    done,
  );
  return card;
}

/** The request is open while an installer has the job and has not started it. */
export function showReschedule(card, view) {
  card.hidden = !view.can_reschedule || !["accepted", "suspended"].includes(view.status);
  card.querySelector("#preferred-hint").textContent = t("preferred_hint", { zone: zoneName() });
}
