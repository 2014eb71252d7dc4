// The live offer cards: what the job is, when the next step of the ladder comes, accept/decline.

import { h, replace } from "/web/dom.js";
import { clock, distance, money, secondsUntil } from "/web/format.js";
import { t } from "/web/i18n.js";

/**
 * Render the active offers.
 * @param {HTMLElement} container
 * @param {object[]} offers  items of GET /me/offers
 * @param {{penalties: Map<string, number>, busy: Map<string, string>, declining: Map<string, object>,
 *          position: {lat: number, lon: number}|null, onAccept: Function, onDecline: Function,
 *          onOpenDecline: Function, onCloseDecline: Function, rerender: Function}} ctx
 */
export function renderOffers(container, offers, ctx) {
  replace(
    container,
    offers.map((offer) => {
      const card = offerCard(offer, ctx);
      // Animate a card only when it (or its alarm level) is new, not on every refresh.
      const seenAs = shown.get(offer.id);
      if (seenAs !== offer.status) card.classList.add(seenAs ? "escalated" : "arrived");
      shown.set(offer.id, offer.status);
      return card;
    }),
  );
  tickCountdowns(container);
}

const shown = new Map();

/** Standard reasons an installer gives for turning an offer down ("other" takes their words). */
export const DECLINE_REASONS = ["too_far", "busy", "no_skill", "off_soon", "other"];

/** Metres between two WGS84 points (haversine). */
export function metresBetween(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const x = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371000 * Math.asin(Math.sqrt(x));
}

function facts(order, from) {
  const away = from && order.location ? distance(metresBetween(from, order.location)) : t("distance_unknown");
  return h(
    "dl.offer-facts",
    {},
    h("div.fact.fee", {}, h("dt", {}, t("offer_fee")), h("dd", {}, money(order.fee))),
    h("div.fact.distance", {}, h("dt", {}, t("offer_distance")), h("dd", {}, away)),
  );
}

function skills(order) {
  if (!order.skills?.length) return null;
  return h(
    "div.skills",
    {},
    h("span.muted.small", {}, `${t("offer_skills")}: `),
    order.skills.map((skill) => h("span.badge.skill", {}, skill)),
  );
}

function declineForm(offer, ctx) {
  const saved = ctx.declining.get(offer.id);
  const id = (name) => `${name}-${offer.id}`;
  const other = h("textarea", {
    id: id("decline-other"),
    name: "other",
    maxlength: "500",
    hidden: saved.reason !== "other",
    "aria-label": t("decline_other_text"),
    placeholder: t("decline_other_text"),
    oninput: (event) => {
      saved.other = event.target.value;
    },
  });
  other.value = saved.other || "";
  return h(
    "form.decline-form",
    {
      novalidate: true,
      "aria-labelledby": id("decline-title"),
      onsubmit: (event) => {
        event.preventDefault();
        const words = saved.reason === "other" ? (saved.other || "").trim() : saved.reason ? t(`decline_${saved.reason}`) : "";
        if (!words) {
          saved.message = saved.reason === "other" ? t("decline_other_needed") : t("decline_reason_needed");
          ctx.rerender();
          return;
        }
        ctx.onDecline(offer, words);
      },
    },
    h(
      "fieldset",
      {},
      h("legend", { id: id("decline-title") }, t("decline_title")),
      saved.message ? h("p.form-message.danger", { role: "alert" }, saved.message) : null,
      h(
        "div.choices.reasons",
        {},
        DECLINE_REASONS.map((reason) =>
          h(
            "label.choice",
            {},
            h("input", {
              type: "radio",
              name: "reason",
              value: reason,
              checked: saved.reason === reason,
              "data-focus-key": id(`decline-${reason}`),
              onchange: () => {
                saved.reason = reason;
                saved.message = "";
                other.hidden = reason !== "other";
                if (reason === "other") other.focus();
              },
            }),
            t(`decline_${reason}`),
          ),
        ),
      ),
      other,
    ),
    h(
      "div.actions",
      {},
      h("button.btn.danger.send-decline", { type: "submit", disabled: !!ctx.busy.get(offer.id), "data-focus-key": id("send-decline") }, t("decline_send")),
      h("button.btn.secondary.keep-offer", { type: "button", onclick: () => ctx.onCloseDecline(offer) }, t("keep_offer")),
    ),
  );
}

function offerCard(offer, ctx) {
  const { penalties, busy, onAccept } = ctx;
  const order = offer.order || {};
  const penalty = penalties.get(offer.id) || 0;
  const state = busy.get(offer.id);
  const heading =
    offer.status === "penalized" ? t("penalty_title") : offer.status === "reminded" ? t("reminder") : t("new_offer");
  const titleId = `offer-title-${offer.id}`;
  return h(
    `article.offer-card.state-${offer.status}`,
    { "aria-labelledby": titleId, dataset: { offerId: offer.id, orderId: offer.order_id } },
    h(
      "div.offer-head",
      {},
      h("span.pulse", { "aria-hidden": "true" }),
      h("strong.offer-kind", {}, heading),
      h(`span.badge.${offer.status}`, {}, t(`offer_${offer.status}`)),
    ),
    h("h3.product", { id: titleId }, order.product || ""),
    h("p.address", {}, order.address || ""),
    order.notes ? h("p.notes", {}, order.notes) : null,
    facts(order, ctx.position),
    skills(order),
    penalty
      ? h("p.penalty-note", { role: "alert" }, t("penalty_booked", { amount: money(penalty) }))
      : null,
    countdown(offer),
    state === "queued" ? h("p.queued-note", { role: "status" }, t("queued")) : null,
    ctx.declining.has(offer.id) ? declineForm(offer, ctx) : h(
      "div.actions",
      {},
      h(
        "button.btn.ok.accept",
        { type: "button", disabled: !!state, "data-focus-key": `accept-${offer.id}`, onclick: () => onAccept(offer) },
        state === "accepting" ? t("accepting") : t("accept"),
      ),
      h(
        "button.btn.secondary.decline",
        { type: "button", disabled: !!state, "data-focus-key": `decline-${offer.id}`, onclick: () => ctx.onOpenDecline(offer) },
        state === "declining" ? t("declining") : t("decline"),
      ),
    ),
  );
}

function countdown(offer) {
  if (!offer.next_step_at || !offer.next_action) return null;
  const label =
    offer.next_action === "penalize"
      ? t("next_penalize", { amount: money(offer.next_amount) })
      : t(`next_${offer.next_action}`);
  return h(
    `div.countdown.next-${offer.next_action}`,
    { role: "timer", "aria-live": "off", dataset: { until: offer.next_step_at } },
    h("span.label", {}, label),
    h("span.time", {}, ""),
  );
}

/** Update every countdown under root to the server's current time. */
export function tickCountdowns(root) {
  for (const timer of root.querySelectorAll(".countdown[data-until]")) {
    const left = secondsUntil(timer.dataset.until);
    timer.querySelector(".time").textContent = left > 0 ? clock(left) : t("any_moment");
    timer.classList.toggle("urgent", left <= 30);
  }
}
