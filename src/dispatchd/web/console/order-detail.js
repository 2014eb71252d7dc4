// One order's whole story: facts, the window and promises after acceptance, photo, flags and
// follow-up, manual assignment or reassignment, timeline, offers and the ledger entries it caused.

import { get, post } from "/web/api.js";
import { h } from "/web/dom.js";
import { dateTime, money } from "/web/format.js";
import { t } from "/web/i18n.js";
import { clearProblem, problemMessage, showProblem } from "/web/problems.js";
import { toast } from "/web/toast.js";
import { HELD, renderCandidates, updateCandidates } from "./candidates.js";
import { afterAcceptance } from "./promises-view.js";
import { installerName, loadOrder, store, zoneName } from "./store.js";
import { describeEvent } from "./timeline.js";

const extras = new Map(); // order id -> {ledger, version}

// The view is made of sections, each built from the order and known by a signature of exactly
// the data it shows. A live event re-signs every section and replaces only those whose
// signature changed, so an open box, a half-typed field, a waiting confirmation and the
// scroll position are left alone by whatever happens elsewhere. A section may also bring
// itself up to date in place (`refresh`): the candidate list does, row by row.
const SECTIONS = {
  title: { sign: (o) => o.product, build: (o) => h("h1", {}, o.product) },
  badge: { sign: (o) => o.status, build: (o) => h(`span.badge.${o.status}.big`, {}, t(`status_${o.status}`)) },
  flags: {
    sign: (o) => o.flags.join(","),
    build: (o) => (o.flags.length ? h("span.flags", {}, o.flags.map((flag) => h("span.badge.flag", {}, `⚑ ${t(`flag_${flag}`)}`))) : null),
  },
  facts: {
    sign: (o) =>
      [o.customer, o.address, zoneName(o.zone_id), installerName(o.installer_id), o.created_at, o.accepted_at, o.started_at, o.completed_at,
        o.cancelled_at, o.external_ref, o.notes, o.tracking_url],
    build: (o) => facts(o),
  },
  after: { sign: (o) => [o.appointment, o.suspension, o.promises, o.on_the_way_at], build: (o) => afterAcceptance(o) },
  proof: { sign: (o) => [o.status === "completed", o.flags, o.follow_up], build: (o) => proof(o) },
  rating: { sign: (o) => [o.status === "completed", o.rating], build: (o) => customerRating(o) },
  assign: {
    sign: (o) => (HELD.includes(o.status) ? `held|${installerName(o.installer_id)}` : ["pending", "offered"].includes(o.status) ? "free" : null),
    build: (o) => assignment(o),
    refresh: (node, o) => updateCandidates(node.querySelector(".candidates"), o),
  },
  cancel: {
    sign: (o) => !["completed", "cancelled"].includes(o.status),
    build: (o) => cancelBox(o),
    refresh: (node, o) => {
      const words = node.querySelector(".cancel-consequences");
      if (words && words.textContent !== consequences(o)) words.textContent = consequences(o);
    },
  },
  timeline: {
    sign: (o) => [o.events.length, o.events.at(-1)?.id, o.events.map((e) => installerName(e.installer_id || e.data?.installer_id)).join()],
    build: (o) => timeline(o),
  },
  offers: {
    sign: (o) => (o.offers || []).map((f) => [f.id, f.attempt, installerName(f.installer_id), f.status, f.sent_at, f.ended_at]),
    build: (o) => offersTable(o),
  },
  ledger: {
    sign: (o) => [extras.get(o.id)?.ledger || null, (extras.get(o.id)?.ledger || []).map((e) => installerName(e.installer_id))],
    build: (o) => ledgerBox(o),
  },
};

let shown = null; // {orderId, parts: Map(name -> {node, sign})}

export function renderOrderDetail(view, orderId) {
  shown = null;
  const order = store.orders.get(orderId);
  if (!order || !order.events) {
    view.append(h("p.empty", {}, t("loading")));
    loadOrder(orderId).catch((error) => toast(problemMessage(error), "danger"));
    return;
  }
  loadExtras(order);
  const parts = new Map();
  const part = (name) => {
    const sign = JSON.stringify(SECTIONS[name].sign(order));
    const node = SECTIONS[name].build(order) || document.createComment(name);
    parts.set(name, { node, sign });
    return node;
  };
  view.append(
    h(
      "div.view-head",
      {},
      h("a.btn.ghost.small", { href: "#/board", "data-focus-key": "back-to-board" }, t("back_to_board")),
      part("title"),
      part("badge"),
      part("flags"),
    ),
    h(
      "div.detail",
      {},
      h("div.detail-main", {}, ["facts", "after", "proof", "rating", "assign", "cancel"].map(part)),
      h("div.detail-side", {}, ["timeline", "offers", "ledger"].map(part)),
    ),
  );
  shown = { orderId, parts };
}

/**
 * Bring the detail already shown up to date in place; false when it cannot (another order,
 * or the order was still loading), and the caller renders the view afresh.
 */
export function updateOrderDetail(view, orderId) {
  const order = store.orders.get(orderId);
  if (!shown || shown.orderId !== orderId || !order?.events) return false;
  if (![...shown.parts.values()].every((entry) => view.contains(entry.node))) return false;
  loadExtras(order);
  for (const [name, section] of Object.entries(SECTIONS)) {
    const entry = shown.parts.get(name);
    const sign = JSON.stringify(section.sign(order));
    if (sign === entry.sign) {
      if (entry.node.nodeType === Node.ELEMENT_NODE) section.refresh?.(entry.node, order);
      continue;
    }
    const node = section.build(order) || document.createComment(name);
    carryOver(entry.node, node);
    entry.node.replaceWith(node);
    shown.parts.set(name, { node, sign });
  }
  return true;
}

/** What the dispatcher left in a section that is rebuilt: open boxes and typed values. */
function carryOver(old, fresh) {
  if (old.nodeType !== Node.ELEMENT_NODE || fresh.nodeType !== Node.ELEMENT_NODE) return;
  const open = new Set([...old.querySelectorAll("details[open]")].map((d) => d.dataset.focusKey || d.className));
  if (old.matches("details[open]")) open.add(old.dataset.focusKey || old.className);
  for (const details of [fresh, ...fresh.querySelectorAll("details")]) {
    if (details.matches("details") && open.has(details.dataset.focusKey || details.className)) details.open = true;
  }
  for (const input of old.querySelectorAll("input[id], select[id], textarea[id]")) {
    const twin = fresh.querySelector(`#${CSS.escape(input.id)}`);
    if (twin && input.type !== "file" && twin.value !== input.value) twin.value = input.value;
  }
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

/** What the customer said of the finished job through the tracking link: stars and words. */
function customerRating(order) {
  if (order.status !== "completed" && !order.rating) return null;
  const rating = order.rating;
  return h(
    "section.card.rating",
    { "aria-labelledby": "rating-title" },
    h("h2", { id: "rating-title" }, t("rating_title")),
    rating
      ? [
          h(
            `p.stars.stars-${rating.stars}`,
            {},
            h("span.glyphs", { "aria-hidden": "true" }, "★".repeat(rating.stars) + "☆".repeat(5 - rating.stars)),
            " ",
            h("span.stars-text", {}, t("rating_stars", { n: rating.stars })),
          ),
          rating.comment ? h("blockquote.comment", {}, rating.comment) : null,
          h("p.muted.small", {}, h("time", { datetime: rating.at }, dateTime(rating.at))),
        ]
      : h("p.muted", {}, t("rating_none")),
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
  const error = h("div.form-error", { role: "alert", tabindex: "-1", hidden: true });
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
          showProblem(form, error, failure, { outcome: "outcome", note: "note" });
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

/**
 * Calling the job off takes it from whoever holds or is offered it, and the customer's
 * tracking page says so: the first click names what will happen, the second does it.
 */
function cancelBox(order) {
  if (["completed", "cancelled"].includes(order.status)) return null;
  const box = h("div.form-error", { id: "cancel-error", role: "alert", tabindex: "-1", hidden: true });
  const ask = h("button.btn.danger.ask-cancel", { type: "submit", "data-focus-key": "ask-cancel" }, t("confirm_cancel"));
  const keep = () => {
    confirm.hidden = true;
    ask.hidden = false;
    ask.focus();
  };
  const confirm = h(
    "div.cancel-confirm",
    { role: "alert", hidden: true },
    h("p.cancel-consequences", {}, consequences(order)),
    h(
      "div.actions",
      {},
      h(
        "button.btn.danger.confirm-cancel",
        {
          type: "button",
          "data-focus-key": "confirm-cancel",
          onclick: async (event) => {
            const button = event.currentTarget;
            const form = button.closest("form");
            const reason = form.elements.reason.value.trim();
            clearProblem(form, box);
            button.disabled = true;
            try {
              await post(`orders/${encodeURIComponent(order.id)}/cancel`, { reason });
              toast(t("order_cancelled_toast"));
              await loadOrder(order.id);
            } catch (failure) {
              confirm.hidden = true;
              ask.hidden = false;
              showProblem(form, box, failure, { reason: "cancel_reason" });
            } finally {
              button.disabled = false;
            }
          },
        },
        t("cancel_yes"),
      ),
      h("button.btn.secondary.keep-order", { type: "button", "data-focus-key": "keep-order", onclick: keep }, t("cancel_no")),
    ),
  );
  return h(
    "details.card.cancel-box",
    { "data-focus-key": "cancel-box" },
    h("summary", {}, t("cancel_order")),
    h(
      "form",
      {
        novalidate: true,
        onkeydown: (event) => {
          if (event.key === "Escape" && !confirm.hidden) keep();
        },
        onsubmit: (event) => {
          event.preventDefault();
          clearProblem(event.target, box);
          ask.hidden = true;
          confirm.hidden = false;
          confirm.querySelector(".confirm-cancel").focus();
        },
      },
      box,
      h(
        "div.field",
        {},
        h("label", { for: "cancel-reason" }, t("cancel_reason")),
        h("input", { id: "cancel-reason", name: "reason", maxlength: "2000" }),
      ),
      ask,
      confirm,
    ),
  );
}

/** What cancelling this order does to the people it concerns, said before it is done. */
function consequences(order) {
  const lines = [];
  if (HELD.includes(order.status) && order.installer_id) lines.push(t("cancel_takes_job", { name: installerName(order.installer_id) }));
  else if (order.current_offer) lines.push(t("cancel_withdraws_offer", { name: installerName(order.current_offer.installer_id) }));
  lines.push(t("cancel_tells_customer", { name: order.customer?.name || "" }));
  return lines.join(t("sentence_gap"));
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
  const view = document.getElementById("view");
  if (shown?.orderId === order.id && view) updateOrderDetail(view, order.id);
}
