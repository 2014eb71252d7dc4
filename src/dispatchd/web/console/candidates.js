// Manual assignment: the server's ranked candidate list, and an "Offer" button on every row.

import { get, post } from "/web/api.js";
import { h, replace } from "/web/dom.js";
import { focusWhenShown } from "/web/focus.js";
import { distance } from "/web/format.js";
import { t } from "/web/i18n.js";
import { toast } from "/web/toast.js";
import { loadOrder, zoneName } from "./store.js";

const cache = new Map(); // order id -> {version, items}

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
  const holder = order.current_offer?.installer_id;
  replace(
    box,
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
                  ? h("span.badge.offered", {}, t("offer_sent"))
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
