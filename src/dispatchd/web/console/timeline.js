// An order's events in the dispatcher's words.

import { dateTime, money, timeWindow } from "/web/format.js";
import { has, t } from "/web/i18n.js";
import { installerName } from "./store.js";

export function describeEvent(event) {
  const data = event.data || {};
  const params = {
    installer: installerName(event.installer_id || data.installer_id),
    attempt: data.attempt ?? "",
    amount: money(data.amount || 0),
    flag: (data.flags || [data.flag]).filter(Boolean).map((flag) => t(`flag_${flag}`)).join(", "),
    outcome: data.outcome || "",
    reason: data.reason || "",
    type: data.type ? t(`alert_${data.type}`) : "",
    window: data.window_start && data.window_end ? timeWindow(data.window_start, data.window_end) : "",
    moves: data.moves ?? "",
    promise: data.kind ? t(`promise_${data.kind}`) : "",
    hold: data.reason && has(`hold_${data.reason}`) ? t(`hold_${data.reason}`) : data.reason || "",
    status: data.status ? t(`status_${data.status}`) : "",
    step: data.step != null ? data.step + 1 : "",
  };
  const key = `ev_${event.event.replace(/\./g, "_")}`;
  let text = t(key, params);
  if (event.event === "order.suspended") {
    if (data.note) text += ` — ${data.note}`;
    text += data.until ? ` ${t("ev_until", { time: dateTime(data.until) })}` : "";
  }
  return text;
}
