// What the installer promised after accepting: the arrival window and its moves, a hold and
// why, and each promise with its next step counting down (the board's ticker moves the
// `.next` clocks), so a dispatcher sees what will happen before it happens.

import { h } from "/web/dom.js";
import { dateTime, timeWindow } from "/web/format.js";
import { t } from "/web/i18n.js";

/** The after-acceptance card of an order's detail, or null before anyone accepted it. */
export function afterAcceptance(order) {
  if (!order.appointment && !order.suspension && !order.promises?.length && !order.on_the_way_at) return null;
  return h(
    "section.card.after-acceptance",
    { "aria-labelledby": "after-title" },
    h("h2", { id: "after-title" }, t("after_title")),
    appointment(order),
    order.suspension ? suspension(order.suspension) : null,
    order.promises?.length
      ? [h("h3", {}, t("promises_title")), h("ul.promises", {}, order.promises.map(promiseItem))]
      : null,
  );
}

function appointment(order) {
  const agreed = order.appointment;
  const rows = agreed
    ? [
        [t("window"), h("strong", {}, timeWindow(agreed.window_start, agreed.window_end))],
        [t("window_set_at"), dateTime(agreed.set_at)],
        [t("window_moves"), agreed.moves ? t("moved_n", { n: agreed.moves }) : t("not_moved")],
      ]
    : [[t("window"), h("span.no-window", {}, t("no_window_yet"))]];
  if (order.on_the_way_at) rows.push([t("on_the_way"), dateTime(order.on_the_way_at)]);
  return h("dl.appointment", {}, rows.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

function suspension(hold) {
  return h(
    "div.suspension",
    { role: "note" },
    h("p", {}, h("strong", {}, `${t("on_hold")}: ${t(`hold_${hold.reason}`)}`)),
    hold.note ? h("p", {}, hold.note) : null,
    h(
      "p.small",
      {},
      t("hold_since", { time: dateTime(hold.since) }),
      " · ",
      hold.until ? t("hold_until", { time: dateTime(hold.until) }) : t("hold_until_resumed"),
    ),
  );
}

function promiseItem(promise) {
  let state;
  if (promise.kept_at) state = h("span.kept", {}, `✓ ${t("promise_kept", { time: dateTime(promise.kept_at) })}`);
  else if (promise.paused) state = h("span.badge.suspended.paused", {}, t("promise_paused"));
  else if (promise.next_step_at && promise.next_action)
    state = h("span.next", { dataset: { until: promise.next_step_at, action: promise.next_action } }, "");
  else state = h("span.muted", {}, t("promise_no_step"));
  return h(
    `li.promise.kind-${promise.kind}${promise.paused ? ".is-paused" : ""}`,
    {},
    h("span.promise-name", {}, t(`promise_${promise.kind}`)),
    state,
    h("span.muted.small", {}, t("promise_since", { time: dateTime(promise.since), n: promise.steps_taken })),
  );
}
