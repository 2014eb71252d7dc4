// The inbox: revoked offers, orders waiting for a dispatcher, follow-up calls, failed SMS,
// broken promises, jobs handed back and customers asking to move their window.

import { post } from "/web/api.js";
import { h, replace } from "/web/dom.js";
import { dateTime, shortTime } from "/web/format.js";
import { keepFocus } from "/web/focus.js";
import { has, t } from "/web/i18n.js";
import { toast } from "/web/toast.js";
import { changed, installerName, store } from "./store.js";

// The server's detail of a low-rating follow-up when the customer left no comment.
const RATING_WITHOUT_COMMENT = "rating";

export function renderAlerts() {
  const alerts = [...store.alerts.values()].sort((a, b) => b.at.localeCompare(a.at));
  document.getElementById("alert-count").textContent = String(alerts.length);
  document.getElementById("alert-count").classList.toggle("hot", alerts.length > 0);
  document.getElementById("alerts-none").hidden = alerts.length > 0;
  const list = document.getElementById("alert-list");
  keepFocus(list, () => replace(list, alerts.map(alertItem)), () => document.getElementById("alerts-title"));
}

function alertItem(alert) {
  const order = store.orders.get(alert.order_id);
  return h(
    `li.alert-item.type-${alert.type}`,
    { dataset: { alertId: alert.id, type: alert.type } },
    h("div.alert-type", {}, t(`alert_${alert.type}`)),
    order ? h("div.alert-order", {}, `${order.product} · ${order.address}`) : null,
    alert.installer_id ? h("div.alert-installer", {}, installerName(alert.installer_id)) : null,
    alert.detail ? h("div.alert-detail.muted", {}, describeDetail(alert)) : null,
    h(
      "div.alert-foot",
      {},
      h("time", { datetime: alert.at }, shortTime(alert.at)),
      h(
        "a.btn.small.secondary",
        { href: `#/orders/${alert.order_id}`, "data-focus-key": `open-${alert.id}` },
        t("open_order"),
      ),
      h(
        "button.btn.small.ack",
        { type: "button", "data-focus-key": `ack-${alert.id}`, onclick: () => acknowledge(alert) },
        t("ack"),
      ),
    ),
  );
}

async function acknowledge(alert) {
  try {
    await post(`alerts/${encodeURIComponent(alert.id)}/ack`, undefined);
    store.alerts.delete(alert.id);
    changed("alerts");
  } catch (error) {
    toast(error.message, "danger");
  }
}

/** An alert.raised event becomes an inbox item at once. */
export function alertFromEvent(data) {
  return {
    id: data.alert_id,
    type: data.type,
    order_id: data.order_id,
    offer_id: data.offer_id || null,
    installer_id: data.installer_id || null,
    detail: data.detail || null,
    at: data.at,
    acknowledged_at: null,
  };
}

/** Alert details are machine words (a flag, a promise) or a sentence: translate what can be. */
function describeDetail({ type, detail, order_id }) {
  if (type === "promise_breached" && has(`promise_${detail}`)) return t("alert_detail_promise", { promise: t(`promise_${detail}`) });
  if (type === "job_handed_back") return t("alert_detail_reason", { reason: detail });
  if (has(`flag_${detail}`)) return t(`flag_${detail}`);
  if (type === "follow_up_required") return lowRating(order_id, detail);
  if (type === "reschedule_requested") return rescheduleWish(detail);
  return detail;
}

/** A follow-up call asked for by one or two stars: the stars (from the order) and the words. */
function lowRating(orderId, detail) {
  const stars = store.orders.get(orderId)?.rating?.stars;
  const comment = detail === RATING_WITHOUT_COMMENT ? "" : detail;
  if (stars && comment) return t("alert_detail_low_rating", { stars, comment });
  if (stars) return t("alert_detail_low_rating_stars", { stars });
  return comment ? t("alert_detail_low_rating_comment", { comment }) : t("alert_detail_low_rating_plain");
}

/** "the reason (prefers 2026-12-03T06:00:00Z)" as the server writes it: the reason, then the wish in local time. */
function rescheduleWish(detail) {
  const wish = /^([\s\S]*) \(prefers (\S+)\)$/.exec(detail);
  if (!wish) return t("alert_detail_reason", { reason: detail });
  return `${t("alert_detail_reason", { reason: wish[1] })} · ${t("alert_detail_prefers", { time: dateTime(wish[2]) })}`;
}
