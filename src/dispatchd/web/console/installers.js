// Installers: duty, load against capacity, balance, and each one's ledger.

import { get, patch } from "/web/api.js";
import { h, replace } from "/web/dom.js";
import { dateTime, money } from "/web/format.js";
import { language, t } from "/web/i18n.js";
import { toast } from "/web/toast.js";
import { installerState } from "./map.js";
import { loadInstallers, store, zoneName } from "./store.js";

const ledgers = new Map();

export function renderInstallers(view, selectedId) {
  const installers = [...store.installers.values()].sort((a, b) => a.name.localeCompare(b.name));
  const ledgerBox = h("section.card.ledger-box", { "aria-live": "polite" });
  view.append(
    h("div.view-head", {}, h("h1", {}, t("installers_title")), h("span.muted", {}, String(installers.length))),
    h(
      "div.installers-layout",
      {},
      h(
        "div.card.table-wrap",
        {},
        h(
          "table.installer-table",
          {},
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              [t("name"), t("zones"), t("duty"), t("load"), t("rating_col"), t("balance"), t("last_seen"), ""].map((c) =>
                h("th", { scope: "col" }, c),
              ),
            ),
          ),
          h("tbody", {}, installers.map((installer) => row(installer, installer.id === selectedId))),
        ),
      ),
      ledgerBox,
    ),
  );
  fillLedger(ledgerBox, selectedId ? store.installers.get(selectedId) : null);
}

function row(installer, selected) {
  const state = installerState(installer);
  const load = Math.min(1, installer.active_jobs / Math.max(1, installer.capacity));
  return h(
    `tr.${selected ? "selected" : "plain"}`,
    { dataset: { installerId: installer.id } },
    h("th", { scope: "row" }, h("a", { href: `#/installers/${installer.id}`, "data-focus-key": `installer-${installer.id}` }, installer.name), h("div.muted.small", {}, installer.phone)),
    h("td", {}, installer.zone_ids.map(zoneName).join(", ")),
    h("td", {}, h(`span.badge.inst-${state}`, {}, t(`inst_${state}`))),
    h(
      "td",
      {},
      h(
        "div.loadbar",
        { role: "meter", "aria-valuemin": "0", "aria-valuemax": String(installer.capacity), "aria-valuenow": String(installer.active_jobs), "aria-label": t("load") },
        h("span", { class: `fill ${state}`, style: null, dataset: { load: String(Math.round(load * 100)) } }),
      ),
      h("span.small", {}, ` ${installer.active_jobs}/${installer.capacity}`),
    ),
    h("td.rating", {}, ratingText(installer)),
    h("td", { class: installer.balance < 0 ? "negative" : "" }, money(installer.balance)),
    h("td.small", {}, installer.location ? dateTime(installer.location.at) : t("never")),
    h(
      "td",
      {},
      h(
        "button.btn.small.secondary",
        { type: "button", "data-focus-key": `duty-${installer.id}`, onclick: () => setDuty(installer, !installer.on_duty) },
        installer.on_duty ? t("set_off_duty") : t("set_on_duty"),
      ),
    ),
  );
}

/** "★ 4.5 (12)" with the whole sentence for a screen reader; "–" before the first rating. */
export function ratingText(installer) {
  const rating = installer.rating;
  if (!rating || !rating.count) return h("span.muted", {}, "–");
  const average = new Intl.NumberFormat(language(), { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(rating.average);
  return h(
    "span.installer-rating",
    {},
    h("span", { "aria-hidden": "true" }, `★ ${average} (${rating.count})`),
    h("span.visually-hidden", {}, t("rating_average", { average, count: rating.count })),
  );
}

async function setDuty(installer, onDuty) {
  try {
    await patch(`installers/${encodeURIComponent(installer.id)}`, { on_duty: onDuty });
    await loadInstallers();
  } catch (error) {
    toast(error.message, "danger");
  }
}

async function fillLedger(box, installer) {
  if (!installer) {
    replace(box, h("p.muted", {}, t("select_installer")));
    return;
  }
  replace(box, h("h2", {}, t("ledger_of", { name: installer.name })), h("p.muted", {}, t("loading")));
  try {
    const ledger = ledgers.get(installer.id) || (await get(`installers/${encodeURIComponent(installer.id)}/ledger`));
    ledgers.set(installer.id, ledger);
    setTimeout(() => ledgers.delete(installer.id), 5000);
    replace(
      box,
      h("h2", {}, t("ledger_of", { name: installer.name })),
      h("p.rating", {}, `${t("rating_col")}: `, ratingText(installer)),
      h("p", {}, `${t("balance")}: `, h(`strong.${ledger.balance < 0 ? "negative" : "positive"}`, {}, money(ledger.balance))),
      ledger.items.length
        ? h(
            "ul.entries",
            {},
            ledger.items.map((entry) =>
              h(
                "li",
                {},
                h(`strong.${entry.amount < 0 ? "negative" : "positive"}`, {}, money(entry.amount)),
                ` ${t(`reason_${entry.reason}`)} · `,
                entry.order_id ? h("a", { href: `#/orders/${entry.order_id}` }, t("open_order")) : null,
                " · ",
                h("time", { datetime: entry.at }, dateTime(entry.at)),
              ),
            ),
          )
        : h("p.muted", {}, t("no_ledger")),
    );
  } catch (error) {
    replace(box, h("p.form-error", {}, error.message));
  }
}

/** Set load bar widths from data attributes (the CSP forbids inline style attributes). */
export function sizeLoadBars(root) {
  for (const fill of root.querySelectorAll(".loadbar .fill[data-load]")) fill.style.width = `${fill.dataset.load}%`;
}
