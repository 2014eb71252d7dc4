// Messages that must not be missed (a revoked offer): they stay until dismissed.

import { h } from "/web/dom.js";
import { t } from "/web/i18n.js";

export function notice(container, message, kind = "warn") {
  const item = h(
    `div.notice.${kind}`,
    { role: "alert" },
    h("p", {}, message),
    h(
      "button.btn.small.secondary",
      { type: "button", onclick: () => item.remove() },
      t("dismiss"),
    ),
  );
  container.prepend(item);
  while (container.children.length > 4) container.lastElementChild.remove();
  return item;
}
