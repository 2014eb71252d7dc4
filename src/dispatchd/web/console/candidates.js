// Manual assignment: the server's ranked candidate list, and an "Offer" button on every row.
// On a job someone holds it is a reassignment: it needs a reason and a confirmation naming the
// installer who loses the job, since their phone drops it at once.

import { get, post } from "/web/api.js";
import { h, replace } from "/web/dom.js";
import { focusWhenShown } from "/web/focus.js";
import { distance } from "/web/format.js";
import { t } from "/web/i18n.js";
import { toast } from "/web/toast.js";
import { installerName, loadOrder, zoneName } from "./store.js";

const cache = new Map(); // order id -> {version, items}
export const HELD = ["accepted", "suspended", "in_progress"];
// The reassignment waiting for its confirmation, and the server's refusal of the last one.
let pending = null;
let refusal = null;
const reasons = new Map(); // order id -> the reason typed so far

export function renderCandidates(order) {
  const box = h("div.candidates", { "aria-live": "polite" });
  const version = `${order.status}|${order.attempts}|${order.current_offer?.id || ""}`;
  const known = cache.get(order.id);
  if (known && known.version === version && known.items) fill(box, order, known.items);
  else {
    box.append(h("p.muted", {}, t("loading")));
    get(`orders/${encodeURIComponent(order.id)}/candidates?limit=30`)
      .then(({ items }) => {
        cache.set(order.id, { version, items });
        fill(box, order, items);
      })
      .catch((error) => replace(box, h("p.form-error", {}, error.message)));
  }
  return box;
}

function fill(box, order, items) {
  const held = HELD.includes(order.status);
  const holder = held ? order.installer_id : order.current_offer?.installer_id;
  replace(
    box,
    held ? reassignControls(box, order, items) : null,
    h(
      "div.table-scroll",
      {},
      h(
        "table.candidate-table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            [t("rank"), t("installer"), t("distance"), t("load"), t("in_zone"), t("why_not"), ""].map((c) =>
              h("th", { scope: "col" }, c),
            ),
          ),
        ),
        h(
          "tbody",
          {},
          items.map((candidate, index) =>
            h(
              `tr.${candidate.eligible ? "eligible" : "ineligible"}`,
              { dataset: { installerId: candidate.installer_id } },
              h("td", {}, String(index + 1)),
              h("th", { scope: "row" }, candidate.name, candidate.on_duty ? null : h("span.muted", {}, ` · ${t("off_duty")}`)),
              h("td", {}, distance(candidate.distance_m)),
              h("td", {}, `${candidate.active_jobs}/${candidate.capacity}`),
              h("td", { title: candidate.zone_ids.map(zoneName).join(", ") }, candidate.serves_order_zone ? "✓" : "✗"),
              h(
                "td.reasons",
                {},
                candidate.eligible ? h("span.badge.ok", {}, t("eligible")) : candidate.why_not.join("; "),
              ),
              h(
                "td",
                {},
                candidate.installer_id === holder
                  ? h(`span.badge.${held ? "accepted" : "offered"}`, {}, held ? t("holds_job") : t("offer_sent"))
                  : held
                    ? reassignButton(box, order, items, candidate)
                    : offerButton(order, candidate),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

function offerButton(order, candidate) {
  const button = h(
    `button.btn.small.${candidate.eligible ? "assign" : "secondary.assign"}`,
    {
      type: "button",
      "data-focus-key": `assign-${candidate.installer_id}`,
      onclick: async () => {
        if (!candidate.eligible && button.dataset.confirm !== "1") {
          button.dataset.confirm = "1";
          button.textContent = t("offer_anyway");
          return;
        }
        button.disabled = true;
        try {
          await post(`orders/${encodeURIComponent(order.id)}/assign`, { installer_id: candidate.installer_id });
          toast(t("assigned", { name: candidate.name }), "ok");
          focusWhenShown("assign-title");
          cache.delete(order.id);
          await loadOrder(order.id);
        } catch (error) {
          toast(error.message, "danger");
          button.disabled = false;
        }
      },
    },
    t("offer_to"),
  );
  return button;
}

/** The reason field (kept across redraws by its id) and, once a row was chosen, the confirmation. */
function reassignControls(box, order, items) {
  if (pending && pending.orderId !== order.id) pending = null;
  if (refusal && refusal.orderId !== order.id) refusal = null;
  const errors = (refusal?.errors || []).filter((error) => error.field === "reason");
  const holder = installerName(order.installer_id);
  return h(
    "div.reassign",
    {},
    refusal && !errors.length ? h("p.form-error", { role: "alert" }, refusal.message) : null,
    h(
      "div.field",
      {},
      h("label", { for: "reassign-reason" }, t("reassign_reason", { name: holder })),
      h("input", {
        id: "reassign-reason",
        name: "reason",
        maxlength: "2000",
        value: reasons.get(order.id) || "",
        oninput: (event) => reasons.set(order.id, event.target.value),
        "aria-invalid": errors.length ? "true" : null,
        "aria-describedby": errors.length ? "reassign-reason-error" : null,
      }),
      errors.length
        ? h("span.error", { id: "reassign-reason-error", role: "alert" }, errors.map((error) => error.message).join("; "))
        : null,
    ),
    pending
      ? h(
          "div.reassign-confirm",
          { role: "alert" },
          h("p", {}, t("reassign_confirm", { from: holder, to: pending.name })),
          h(
            "div.actions",
            {},
            h(
              "button.btn.danger.confirm-reassign",
              { type: "button", "data-focus-key": "confirm-reassign", onclick: () => reassign(box, order, items) },
              t("reassign_yes", { name: holder }),
            ),
            h(
              "button.btn.secondary",
              {
                type: "button",
                "data-focus-key": "keep-holder",
                onclick: () => {
                  const back = pending.installerId;
                  pending = null;
                  focusWhenShown(`assign-${back}`);
                  fill(box, order, items);
                },
              },
              t("reassign_no"),
            ),
          ),
        )
      : null,
  );
}

function reassignButton(box, order, items, candidate) {
  return h(
    "button.btn.small.secondary.assign.reassign",
    {
      type: "button",
      "data-focus-key": `assign-${candidate.installer_id}`,
      onclick: () => {
        const reason = document.getElementById("reassign-reason")?.value.trim() || "";
        if (!reason) {
          pending = null;
          refusal = { orderId: order.id, errors: [{ field: "reason", message: t("reassign_reason_needed") }] };
          fill(box, order, items);
          document.getElementById("reassign-reason")?.focus();
          return;
        }
        refusal = null;
        pending = { orderId: order.id, installerId: candidate.installer_id, name: candidate.name, reason };
        focusWhenShown("confirm-reassign");
        fill(box, order, items);
      },
    },
    t("reassign_to"),
  );
}

async function reassign(box, order, items) {
  const chosen = pending;
  try {
    await post(`orders/${encodeURIComponent(order.id)}/assign`, { installer_id: chosen.installerId, reason: chosen.reason });
    pending = null;
    refusal = null;
    reasons.delete(order.id);
    toast(t("reassigned", { from: installerName(order.installer_id), to: chosen.name }), "ok");
    focusWhenShown("assign-title");
    cache.delete(order.id);
    await loadOrder(order.id);
  } catch (error) {
    pending = null;
    refusal = { orderId: order.id, errors: error.fieldErrors || [], message: error.message };
    fill(box, order, items);
    if (!refusal.errors.some((item) => item.field === "reason")) toast(error.message, "danger");
  }
}
