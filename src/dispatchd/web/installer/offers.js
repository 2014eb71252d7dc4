// The live offer cards: what the job is, when the next step of the ladder comes, accept/decline.

import { h, replace } from "/web/dom.js";
import { clock, money, secondsUntil } from "/web/format.js";
import { t } from "/web/i18n.js";

/**
 * Render the active offers.
 * @param {HTMLElement} container
 * @param {object[]} offers  items of GET /me/offers
 * @param {{penalties: Map<string, number>, busy: Map<string, string>, onAccept: Function, onDecline: Function}} ctx
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

function offerCard(offer, { penalties, busy, onAccept, onDecline }) {
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
    order.skills?.length ? h("p.skills.muted", {}, order.skills.join(" · ")) : null,
    penalty
      ? h("p.penalty-note", { role: "alert" }, t("penalty_booked", { amount: money(penalty) }))
      : null,
    countdown(offer),
    h("p.attempt.muted", {}, t("attempt", { n: offer.attempt })),
    state === "queued" ? h("p.queued-note", { role: "status" }, t("queued")) : null,
    h(
      "div.actions",
      {},
      h(
        "button.btn.ok.accept",
        { type: "button", disabled: !!state, "data-focus-key": `accept-${offer.id}`, onclick: () => onAccept(offer) },
        state === "accepting" ? t("accepting") : t("accept"),
      ),
      h(
        "button.btn.secondary.decline",
        { type: "button", disabled: !!state, "data-focus-key": `decline-${offer.id}`, onclick: () => onDecline(offer) },
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
