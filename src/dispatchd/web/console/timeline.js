// An order's events in the dispatcher's words.

import { money } from "/web/format.js";
import { t } from "/web/i18n.js";
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
  };
  const key = `ev_${event.event.replace(/\./g, "_")}`;
  return t(key, params);
}
