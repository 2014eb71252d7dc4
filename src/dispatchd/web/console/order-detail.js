// One order's whole story: facts, the window and promises after acceptance, photo, flags and
// follow-up, manual assignment or reassignment, timeline, offers and the ledger entries it caused.

import { get, post } from "/web/api.js";
import { h } from "/web/dom.js";
import { dateTime, money } from "/web/format.js";
import { t } from "/web/i18n.js";
import { toast } from "/web/toast.js";
import { HELD, renderCandidates } from "./candidates.js";
import { afterAcceptance } from "./promises-view.js";
import { installerName, loadOrder, store, zoneName } from "./store.js";
import { describeEvent } from "./timeline.js";

const extras = new Map(); // order id -> {ledger, version}

export function renderOrderDetail(view, orderId) {
  const order = store.orders.get(orderId);
  if (!order || !order.events) {
    view.append(h("p.empty", {}, t("loading")));
    loadOrder(orderId).catch((error) => toast(error.message, "danger"));
    return;
  }
  loadExtras(order);
  view.append(
    h(
      "div.view-head",
      {},
      h("a.btn.ghost.small", { href: "#/board", "data-focus-key": "back-to-board" }, t("back_to_board")),
      h("h1", {}, order.product),
      h(`span.badge.${order.status}.big`, {}, t(`status_${order.status}`)),
      ...order.flags.map((flag) => h("span.badge.flag", {}, `⚑ ${t(`flag_${flag}`)}`)),
    ),
    h(
      "div.detail",
      {},
      h("div.detail-main", {}, facts(order), afterAcceptance(order), proof(order), assignment(order), cancelBox(order)),
      h("div.detail-side", {}, timeline(order), offersTable(order), ledgerBox(order)),
    ),
  );
}

function facts(order) {
  const rows = [
    [t("customer"), `${order.customer.name} · ${order.customer.phone}`],
    [t("address"), order.address],
    [t("zone"), order.zone_id ? zoneName(order.zone_id) : t("outside_zones")],
    [t("installer"), order.installer_id ? installerName(order.installer_id) : "–"],
    [t("created"), dateTime(order.created_at)],
    [t("accepted"), dateTime(order.accepted_at) || "–"],
    [t("started"), dateTime(order.started_at) || "–"],
    [t("completed"), dateTime(order.completed_at) || "–"],
  ];
  if (order.cancelled_at) rows.push([t("cancelled"), dateTime(order.cancelled_at)]);
  if (order.external_ref) rows.push([t("external_ref"), order.external_ref]);
  if (order.notes) rows.push([t("notes"), order.notes]);
  return h(
    "section.card.facts",
    { "aria-label": t("order_title") },
    h("dl", {}, rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])),
    order.tracking_url
      ? h(
          "p",
          {},
          h("a.tracking", { href: order.tracking_url, target: "_blank", rel: "noopener" }, t("tracking_link")),
        )
      : null,
  );
}

function proof(order) {
  const done = order.status === "completed";
  const flagged = order.flags.length > 0;
  if (!done && !flagged) return null;
  return h(
    "section.card.proof",
    { "aria-labelledby": "proof-title" },
    h("h2", { id: "proof-title" }, t("photo")),
    done
      ? h(
          "a.photo-link",
          { href: `/api/v1/orders/${order.id}/photo`, target: "_blank", rel: "noopener" },
          h("img.photo", {
            src: `/api/v1/orders/${order.id}/photo?size=thumb`,
            alt: t("photo_alt"),
            loading: "lazy",
            onerror: (event) => event.target.replaceWith(h("span.muted", {}, t("no_photo"))),
          }),
        )
      : h("p.muted", {}, t("no_photo")),
    flagged ? followUp(order) : null,
  );
}

function followUp(order) {
  if (order.follow_up) {
    return h(
      "div.follow-up-done",
      {},
      h("h3", {}, t("follow_up")),
      h("p.resolved", {}, `✓ ${t("follow_up_done", { outcome: order.follow_up.outcome })}`),
      order.follow_up.note ? h("p", {}, order.follow_up.note) : null,
      h("p.muted.small", {}, dateTime(order.follow_up.at)),
    );
  }
  const outcomes = ["confirmed", "problem", "unreachable"];
  const error = h("div.form-error", { role: "alert", hidden: true });
  return h(
    "form.follow-up",
    {
      novalidate: true,
      "aria-labelledby": "follow-up-title",
      onsubmit: async (event) => {
        event.preventDefault();
        const form = event.target;
        const outcome = t(`outcome_${form.elements.outcome.value}`);
        try {
          await post(`orders/${encodeURIComponent(order.id)}/follow-up`, {
            outcome,
            note: form.elements.note.value.trim() || null,
          });
          toast(t("resolved_ok"), "ok");
          await loadOrder(order.id);
        } catch (failure) {
          error.textContent = failure.message;
          error.hidden = false;
        }
      },
    },
    h("h3", { id: "follow-up-title" }, t("follow_up")),
    h("p.muted", {}, t("follow_up_hint")),
    error,
    h(
      "div.field",
      {},
      h("label", { for: "follow-up-outcome" }, t("outcome")),
      h(
        "select",
        { id: "follow-up-outcome", name: "outcome" },
        outcomes.map((value) => h("option", { value }, t(`outcome_${value}`))),
      ),
    ),
    h(
      "div.field",
      {},
      h("label", { for: "follow-up-note" }, t("note")),
      h("textarea", { id: "follow-up-note", name: "note", maxlength: "2000" }),
    ),
    h("button.btn.resolve", { type: "submit" }, t("resolve")),
  );
}

function assignment(order) {
  const held = HELD.includes(order.status);
  if (!held && !["pending", "offered"].includes(order.status)) return null;
  return h(
    `section.card.assign${held ? ".reassign-box" : ""}`,
    { "aria-labelledby": "assign-title" },
    h("h2", { id: "assign-title", tabindex: "-1", "data-focus-key": "assign-title" }, held ? t("reassign_title") : t("assign_title")),
    h("p.muted.small", {}, held ? t("reassign_hint", { name: installerName(order.installer_id) }) : t("assign_hint")),
    renderCandidates(order),
  );
}

function cancelBox(order) {
  if (["completed", "cancelled"].includes(order.status)) return null;
  return h(
    "details.card.cancel-box",
    {},
    h("summary", {}, t("cancel_order")),
    h(
      "form",
      {
        onsubmit: async (event) => {
          event.preventDefault();
          const reason = event.target.elements.reason.value.trim();
          try {
            await post(`orders/${encodeURIComponent(order.id)}/cancel`, { reason });
            toast(t("order_cancelled_toast"));
            await loadOrder(order.id);
          } catch (failure) {
            toast(failure.message, "danger");
          }
        },
      },
      h(
        "div.field",
        {},
        h("label", { for: "cancel-reason" }, t("cancel_reason")),
        h("input", { id: "cancel-reason", name: "reason", required: true }),
      ),
      h("button.btn.danger", { type: "submit" }, t("confirm_cancel")),
    ),
  );
}

function timeline(order) {
  return h(
    "section.card.timeline",
    { "aria-labelledby": "timeline-title" },
    h("h2", { id: "timeline-title" }, t("timeline")),
    h(
      "ol.events",
      {},
      [...order.events]
        .sort((a, b) => a.id - b.id)
        .map((event) =>
          h(
            `li.event.ev-${event.event.replace(/\./g, "-")}`,
            {},
            h("time", { datetime: event.at }, dateTime(event.at)),
            h("span", {}, describeEvent(event)),
          ),
        ),
    ),
  );
}

function offersTable(order) {
  if (!order.offers?.length) return null;
  return h(
    "section.card.offers",
    { "aria-labelledby": "offers-title" },
    h("h2", { id: "offers-title" }, t("offers")),
    // Focusable, so a keyboard user can scroll a table wider than a phone.
    h(
      "div.table-scroll",
      { tabindex: "0", role: "region", "aria-labelledby": "offers-title" },
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h("tr", {}, [t("rank"), t("installer"), t("status"), t("sent"), t("ended")].map((c) => h("th", { scope: "col" }, c))),
        ),
        h(
          "tbody",
          {},
          order.offers.map((offer) =>
            h(
              "tr",
              {},
              h("td", {}, String(offer.attempt)),
              h("td", {}, installerName(offer.installer_id)),
              h("td", {}, h(`span.badge.${offer.status}`, {}, t(`offer_${offer.status}`))),
              h("td", {}, dateTime(offer.sent_at)),
              h("td", {}, dateTime(offer.ended_at) || "–"),
            ),
          ),
        ),
      ),
    ),
  );
}

function ledgerBox(order) {
  const entries = extras.get(order.id)?.ledger;
  return h(
    "section.card.ledger",
    { "aria-labelledby": "ledger-title" },
    h("h2", { id: "ledger-title" }, t("ledger")),
    !entries
      ? h("p.muted", {}, t("loading"))
      : entries.length
        ? h(
            "ul.entries",
            {},
            entries.map((entry) =>
              h(
                "li",
                {},
                h(`strong.${entry.amount < 0 ? "negative" : "positive"}`, {}, money(entry.amount)),
                ` ${installerName(entry.installer_id)} · ${t(`reason_${entry.reason}`)} · `,
                h("time", { datetime: entry.at }, dateTime(entry.at)),
              ),
            ),
          )
        : h("p.muted", {}, t("no_ledger")),
  );
}

/** Ledger entries of every installer who held an offer, filtered to this order. */
async function loadExtras(order) {
  // Entries are booked by events (a penalty, a fee): a new event may mean a new entry.
  const version = `${order.offers?.map((o) => o.status).join(",")}|${order.events?.length}`;
  const known = extras.get(order.id);
  if (known && known.version === version) return;
  extras.set(order.id, { ...known, version });
  const installers = [...new Set((order.offers || []).map((offer) => offer.installer_id))];
  const ledgers = await Promise.all(
    installers.map((id) => get(`installers/${encodeURIComponent(id)}/ledger?limit=500`).catch(() => ({ items: [] }))),
  );
  const ledger = ledgers
    .flatMap((page, index) => page.items.map((entry) => ({ ...entry, installer_id: installers[index] })))
    .filter((entry) => entry.order_id === order.id)
    .sort((a, b) => a.at.localeCompare(b.at));
  extras.set(order.id, { ledger, version });
  const box = document.querySelector(".detail .ledger");
  if (box && store.orders.get(order.id)) box.replaceWith(ledgerBox(store.orders.get(order.id)));
}
