// KPIs: time to accept, revocations and penalties per day, flagged completions, and the money:
// fees credited to installers, penalties booked and penalties waived.

import { get } from "/web/api.js";
import { h, replace } from "/web/dom.js";
import { duration, money, moneyShort } from "/web/format.js";
import { language, t } from "/web/i18n.js";
import { barChart } from "./charts.js";

const DAYS = 14;

export function renderKpis(view) {
  const box = h("div.kpis", {}, h("p.muted", {}, t("loading")));
  view.append(h("div.view-head", {}, h("h1", {}, t("kpis_title")), h("span.muted", {}, t("kpi_days", { n: DAYS }))), box);
  const offset = -new Date().getTimezoneOffset();
  get(`stats?days=${DAYS}&utc_offset_min=${offset}`)
    .then((stats) => fill(box, stats))
    .catch((error) => replace(box, h("p.form-error", {}, error.message)));
}

function fill(box, stats) {
  const days = stats.days;
  const labels = days.map((day) =>
    new Date(`${day.date}T12:00:00`).toLocaleDateString(language(), { month: "numeric", day: "numeric" }),
  );
  const sum = (key) => days.reduce((total, day) => total + (day[key] || 0), 0);
  const open = ["pending", "offered", "accepted", "in_progress"].reduce((n, k) => n + (stats.orders_by_status[k] || 0), 0);
  const figures = [
    [t("kpi_median_accept"), duration(stats.time_to_accept.median_s)],
    [t("kpi_p90_accept"), duration(stats.time_to_accept.p90_s)],
    [t("kpi_revocations"), String(sum("revocations"))],
    [t("kpi_penalties"), `${sum("penalties")} · ${money(sum("penalty_amount"))}`],
    [t("kpi_flagged"), `${sum("flagged_completions")} / ${sum("completions")}`],
    [t("kpi_open"), String(open)],
    [t("kpi_fees"), money(sum("fees_credited"))],
    [t("kpi_waived", { n: sum("waivers") }), money(sum("penalties_waived"))],
  ];
  const buckets = stats.time_to_accept.buckets;
  replace(
    box,
    h(
      "div.figures",
      {},
      figures.map(([label, value]) => h("div.figure.card", {}, h("div.value", {}, value), h("div.label", {}, label))),
    ),
    h(
      "div.charts",
      {},
      barChart({
        title: t("chart_accept_time"),
        labels,
        series: [{ name: t("kpi_median_accept"), colour: "#0b5cad", values: days.map((d) => d.median_accept_s) }],
        format: (v) => duration(v),
      }),
      barChart({
        title: t("chart_accept_hist"),
        labels: buckets.map((b, i) =>
          b.up_to_s == null ? t("bucket_more", { s: duration(buckets[i - 1]?.up_to_s) }) : t("bucket_le", { s: duration(b.up_to_s) }),
        ),
        series: [{ name: t("chart_accept_hist"), colour: "#0a7480", values: buckets.map((b) => b.count) }],
      }),
      barChart({
        title: t("chart_rev_pen"),
        labels,
        series: [
          { name: t("series_revocations"), colour: "#c2182b", values: days.map((d) => d.revocations) },
          { name: t("series_penalties"), colour: "#d4a72c", values: days.map((d) => d.penalties) },
        ],
      }),
      barChart({
        title: t("chart_money"),
        labels,
        series: [
          { name: t("series_fees"), colour: "#1a7f37", values: days.map((d) => d.fees_credited) },
          { name: t("series_penalty_money"), colour: "#c2182b", values: days.map((d) => d.penalties_booked) },
          { name: t("series_waived"), colour: "#0b5cad", values: days.map((d) => d.penalties_waived) },
        ],
        format: (v) => moneyShort(v),
      }),
      barChart({
        title: t("chart_flagged"),
        labels,
        series: [
          { name: t("series_completions"), colour: "#1a7f37", values: days.map((d) => d.completions) },
          { name: t("series_flagged"), colour: "#6e3fc4", values: days.map((d) => d.flagged_completions) },
        ],
      }),
    ),
  );
}
