// The inbox: revoked offers, orders waiting for a dispatcher, follow-up calls, failed SMS,
// broken promises, jobs handed back and customers asking to move their window.

import { post } from "/web/api.js";
import { h, replace } from "/web/dom.js";
import { shortTime } from "/web/format.js";
import { keepFocus } from "/web/focus.js";
import { has, t } from "/web/i18n.js";
import { toast } from "/web/toast.js";
import { changed, installerName, store } from "./store.js";

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
function describeDetail({ type, detail }) {
  if (type === "promise_breached" && has(`promise_${detail}`)) return t("alert_detail_promise", { promise: t(`promise_${detail}`) });
  if (type === "job_handed_back") return t("alert_detail_reason", { reason: detail });
  return has(`flag_${detail}`) ? t(`flag_${detail}`) : detail;
}
