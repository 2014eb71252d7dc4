// What the day brought: the jobs the installer completed with the fee each earned, and the
// ledger — job fees, penalties, waivers, adjustments — with the balance they add up to.

import { h, replace } from "/web/dom.js";
import { dateTime, money } from "/web/format.js";
import { has, t } from "/web/i18n.js";

/**
 * @param {HTMLElement} container
 * @param {{items: object[], next: string|null, loaded: boolean}} history  pages of GET /me/history
 * @param {{onMore: Function}} ctx
 */
export function renderHistory(container, history, ctx) {
  replace(
    container,
    history.items.length
      ? h(
          "ol.history-list",
          {},
          history.items.map((job) =>
            h(
              "li.history-item.card",
              { dataset: { orderId: job.id } },
              h("div.job-head", {}, h("h3", {}, job.product), h("strong.fee", {}, money(job.fee))),
              h("p.address", {}, job.address),
              h(
                "p.muted.small",
                {},
                t("completed_on", { time: dateTime(job.completed_at) }),
                job.flags.length ? [" · ", h("span.badge.flag", {}, t(`flag_${job.flags[0]}`))] : null,
              ),
            ),
          ),
        )
      : h("p.empty", {}, history.loaded ? t("no_history") : t("loading")),
    history.next ? h("button.btn.secondary.wide.load-more", { type: "button", onclick: ctx.onMore }, t("load_more")) : null,
  );
}

const GROUPS = [
  ["earnings", (e) => e.reason === "job_fee"],
  ["penalties", (e) => e.reason.endsWith("_penalty")],
  ["waivers", (e) => e.reason === "penalty_waived"],
  ["adjustments", (e) => e.reason === "adjustment"],
];

/** The ledger: the balance, the totals of each kind of booking, then every booking. */
export function renderLedger(container, ledger) {
  const sums = GROUPS.map(([name, test]) => [name, ledger.items.filter(test).reduce((sum, e) => sum + e.amount, 0)]);
  replace(
    container,
    h(
      "div.ledger-summary.card",
      {},
      h("p.balance-line", {}, h("span", {}, t("balance")), h(`strong.ledger-balance${ledger.balance < 0 ? ".negative" : ""}`, {}, money(ledger.balance))),
      h(
        "dl.ledger-totals",
        {},
        sums.map(([name, sum]) => h(`div.total.${name}`, {}, h("dt", {}, t(`ledger_${name}`)), h("dd", {}, money(sum)))),
      ),
      h("p.muted.small", {}, t("ledger_totals_note", { n: ledger.items.length })),
    ),
    h("h3.ledger-entries-title", {}, t("ledger_entries")),
    ledger.items.length
      ? h(
          "ol.ledger-list",
          {},
          ledger.items.map((entry) =>
            h(
              `li.ledger-entry.reason-${entry.reason}`,
              {},
              h(
                "div",
                {},
                h("strong", {}, has(`reason_${entry.reason}`) ? t(`reason_${entry.reason}`) : entry.reason),
                h("p.muted.small", {}, dateTime(entry.at)),
                entry.note ? h("p.small", {}, entry.note) : null,
              ),
              h(`span.amount${entry.amount < 0 ? ".negative" : ".positive"}`, {}, money(entry.amount)),
            ),
          ),
        )
      : h("p.empty", {}, t("no_ledger")),
  );
}
