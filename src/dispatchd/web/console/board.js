// The live board: every open order in the column of its status, the ladder's next step ticking.

import { h } from "/web/dom.js";
import { clock, secondsUntil, shortTime, timeWindow } from "/web/format.js";
import { keepFocus } from "/web/focus.js";
import { t } from "/web/i18n.js";
import { installerName, store } from "./store.js";

const COLUMNS = ["pending", "offered", "accepted", "suspended", "in_progress", "completed"];
const COMPLETED_SHOWN = 30;
let query = "";

export function renderBoard(view, { onNewOrder }) {
  const search = h("input", {
    id: "board-search",
    type: "search",
    value: query,
    placeholder: t("search_placeholder"),
    "aria-label": t("search"),
    oninput: (event) => {
      query = event.target.value;
      keepFocus(columns, () => fillColumns(columns), () => search);
    },
  });
  const columns = h("div.board", { role: "list" });
  view.append(
    h(
      "div.view-head",
      {},
      h("h1", {}, t("nav_board")),
      search,
      h(
        "button.btn.new-order",
        { type: "button", "data-focus-key": "new-order", onclick: onNewOrder },
        `+ ${t("new_order")}`,
      ),
    ),
    columns,
  );
  fillColumns(columns);
}

function matches(order) {
  if (!query) return true;
  const text = `${order.product} ${order.address} ${order.customer?.name} ${installerName(order.installer_id)} ${order.id}`;
  return text.toLowerCase().includes(query.toLowerCase());
}

function fillColumns(columns) {
  const byStatus = Object.fromEntries(COLUMNS.map((status) => [status, []]));
  for (const order of store.orders.values()) {
    if (byStatus[order.status] && matches(order)) byStatus[order.status].push(order);
  }
  for (const list of Object.values(byStatus)) list.sort((a, b) => b.created_at.localeCompare(a.created_at));
  byStatus.completed = byStatus.completed
    .sort((a, b) => (b.completed_at || "").localeCompare(a.completed_at || ""))
    .slice(0, COMPLETED_SHOWN);
  byStatus.pending.sort((a, b) => Number(b.awaiting_dispatcher) - Number(a.awaiting_dispatcher));
  columns.replaceChildren(
    ...COLUMNS.map((status) =>
      h(
        `section.column.col-${status}`,
        { role: "listitem", "aria-labelledby": `col-${status}`, dataset: { status } },
        h(
          "h2",
          { id: `col-${status}` },
          h("span", {}, t(`col_${status}`)),
          h("span.count", {}, String(byStatus[status].length)),
        ),
        h(
          "ul.cards",
          {},
          byStatus[status].length
            ? byStatus[status].map((order) => h("li", {}, orderCard(order)))
            : h("li.empty", {}, t("col_empty")),
        ),
      ),
    ),
  );
  tickBoard(columns);
}

/** The promise whose next step comes first, for a held job's card. */
function nextPromise(order) {
  return (order.promises || [])
    .filter((promise) => promise.next_step_at && promise.next_action)
    .sort((a, b) => a.next_step_at.localeCompare(b.next_step_at))[0];
}

function orderCard(order) {
  const offer = order.current_offer;
  const promise = offer ? null : nextPromise(order);
  return h(
    `a.order-card.status-${order.status}`,
    { href: `#/orders/${order.id}`, "data-focus-key": `order-${order.id}`, dataset: { orderId: order.id } },
    h("span.product", {}, order.product),
    h("span.address", {}, order.address),
    h(
      "span.meta",
      {},
      order.installer_id || offer
        ? h("span.installer", {}, installerName(order.installer_id || offer?.installer_id))
        : order.status === "pending"
          ? h("span.muted", {}, t("unassigned"))
          : null,
      offer ? h(`span.badge.${offer.status}`, {}, t(`offer_${offer.status}`)) : null,
      order.awaiting_dispatcher ? h("span.badge.pending", {}, t("needs_dispatcher")) : null,
      order.zone_id === null && order.status === "pending"
        ? h("span.badge.pending", {}, t("outside_zones"))
        : null,
      ...order.flags
        .filter(() => !order.follow_up)
        .map((flag) => h("span.badge.flag", {}, `⚑ ${t(`flag_${flag}`)}`)),
      order.suspension ? h("span.badge.suspended", {}, `⏸ ${t(`hold_${order.suspension.reason}`)}`) : null,
    ),
    order.appointment && ["accepted", "suspended"].includes(order.status)
      ? h("span.window", {}, t("window_short", { window: timeWindow(order.appointment.window_start, order.appointment.window_end) }))
      : null,
    offer?.next_step_at && offer.next_action
      ? h("span.next", { dataset: { until: offer.next_step_at, action: offer.next_action } }, "")
      : null,
    promise
      ? h("span.next", { dataset: { until: promise.next_step_at, action: promise.next_action } }, "")
      : null,
    h(
      "span.foot",
      {},
      h("time", { datetime: order.created_at }, shortTime(order.created_at)),
      order.attempts > 1 ? h("span", {}, t("attempt_n", { n: order.attempts })) : null,
    ),
  );
}

/** Move every countdown on the board to the server's current time. */
export function tickBoard(root) {
  for (const next of root.querySelectorAll(".next[data-until]")) {
    const left = secondsUntil(next.dataset.until);
    next.textContent = left > 0 ? t(`next_${next.dataset.action}`, { time: clock(left) }) : t("overdue");
    next.classList.toggle("urgent", left <= 30);
  }
}
