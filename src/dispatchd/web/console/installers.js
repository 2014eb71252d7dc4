// Installers: duty, load against capacity, balance; creating and editing them, and each one's ledger.

import { patch } from "/web/api.js";
import { h } from "/web/dom.js";
import { dateTime, money } from "/web/format.js";
import { language, t } from "/web/i18n.js";
import { problemMessage } from "/web/problems.js";
import { toast } from "/web/toast.js";
import { openInstallerEditor } from "./installer-editor.js";
import { openLedger } from "./ledger.js";
import "./manage-strings.js";
import { installerState } from "./map.js";
import { loadInstallers, store, zoneName } from "./store.js";

export function renderInstallers(view, selectedId) {
  const installers = [...store.installers.values()].sort((a, b) => a.name.localeCompare(b.name));
  view.append(
    h(
      "div.view-head",
      {},
      h("h1", {}, t("installers_title")),
      h("span.muted", {}, String(installers.length)),
      h("button.btn.new-installer", { type: "button", id: "new-installer", onclick: () => openInstallerEditor() }, t("new_installer")),
    ),
    h(
      "div.card.table-wrap.manage-table",
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
            [t("name"), t("zones"), t("duty"), t("load"), t("rating_col"), t("balance"), t("last_seen")].map((c) => h("th", { scope: "col" }, c)),
            h("th.actions", { scope: "col" }, h("span.visually-hidden", {}, t("actions"))),
          ),
        ),
        h("tbody", {}, installers.map((installer) => row(installer, installer.id === selectedId))),
      ),
    ),
  );
  showLedger(selectedId ? store.installers.get(selectedId) : null);
}

let ledgerShown = null;

/** The ledger opens in a dialog (always in view) once per selection; closing it deselects. */
function showLedger(installer) {
  if (!installer) {
    ledgerShown = null;
    return;
  }
  if (ledgerShown === installer.id) return;
  ledgerShown = installer.id;
  const summary = () => h("p.rating", {}, `${t("rating_col")}: `, ratingText(installer));
  openLedger(
    installer,
    () => {
      ledgerShown = null;
      if (location.hash.startsWith(`#/installers/${installer.id}`)) location.hash = "#/installers";
    },
    summary,
  );
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
    h("td.amount", { class: installer.balance < 0 ? "negative" : "" }, money(installer.balance)),
    h("td.small", {}, installer.location ? dateTime(installer.location.at) : t("never")),
    h(
      "td.actions",
      {},
      h(
        "div.row-actions",
        {},
        h(
          "button.btn.small.secondary",
          { type: "button", "data-focus-key": `duty-${installer.id}`, onclick: () => setDuty(installer, !installer.on_duty) },
          installer.on_duty ? t("set_off_duty") : t("set_on_duty"),
        ),
        h("button.btn.small.secondary", { type: "button", "data-focus-key": `edit-${installer.id}`, "data-edit": installer.id, onclick: () => openInstallerEditor(installer) }, t("edit")),
        h("a.btn.small.secondary", { href: `#/installers/${installer.id}`, "data-ledger": installer.id }, t("ledger_button")),
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
    toast(problemMessage(error), "danger");
  }
}

/** Set load bar widths from data attributes (the CSP forbids inline style attributes). */
export function sizeLoadBars(root) {
  for (const fill of root.querySelectorAll(".loadbar .fill[data-load]")) fill.style.width = `${fill.dataset.load}%`;
}
