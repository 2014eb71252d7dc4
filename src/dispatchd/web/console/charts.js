// Small SVG bar charts with a text alternative (a table) for screen readers.

import { h, s } from "/web/dom.js";
import { t } from "/web/i18n.js";

const WIDTH = 560;
const HEIGHT = 220;
const PAD = { top: 16, right: 12, bottom: 34, left: 54 };

/**
 * Grouped bars: one group per label, one bar per series.
 * @param {{title: string, labels: string[], series: {name: string, colour: string, values: number[]}[], format?: (v:number)=>string}} chart
 */
export function barChart({ title, labels, series, format = String }) {
  const values = series.flatMap((serie) => serie.values.map((v) => v || 0));
  const empty = values.every((v) => v === 0);
  const max = Math.max(1, ...values);
  const top = niceCeiling(max);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const group = plotW / Math.max(1, labels.length);
  const bar = Math.max(2, (group * 0.75) / series.length);
  const y = (value) => PAD.top + plotH - (plotH * (value || 0)) / top;
  const ticks = [0, top / 2, top];
  const svg = s(
    "svg",
    { class: "chart", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": title },
    ticks.map((tick) => [
      s("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(tick), y2: y(tick), class: "grid" }),
      s("text", { x: PAD.left - 6, y: y(tick) + 4, "text-anchor": "end", class: "axis" }, format(tick)),
    ]),
    labels.map((label, i) => {
      const x0 = PAD.left + i * group + (group - bar * series.length) / 2;
      const every = Math.ceil(labels.length / 8);
      return [
        series.map((serie, j) =>
          s(
            "rect",
            {
              x: x0 + j * bar,
              y: y(serie.values[i]),
              width: bar - 1,
              height: Math.max(0, PAD.top + plotH - y(serie.values[i])),
              fill: serie.colour,
              rx: 2,
            },
            s("title", {}, `${label} · ${serie.name}: ${serie.values[i] == null ? "–" : format(serie.values[i])}`),
          ),
        ),
        i % every === 0
          ? s("text", { x: PAD.left + i * group + group / 2, y: HEIGHT - PAD.bottom + 16, "text-anchor": "middle", class: "axis" }, label)
          : null,
      ];
    }),
  );
  return h(
    "figure.chart-card.card",
    {},
    h("figcaption", {}, title),
    series.length > 1
      ? h("ul.chart-legend", {}, series.map((serie) => h("li", {}, legendDot(serie.colour), serie.name)))
      : null,
    svg,
    empty ? h("p.chart-empty.muted", {}, t("no_data")) : null,
    h(
      "table.visually-hidden",
      {},
      h("caption", {}, title),
      h("tr", {}, h("th", {}, ""), series.map((serie) => h("th", { scope: "col" }, serie.name))),
      labels.map((label, i) =>
        h("tr", {}, h("th", { scope: "row" }, label), series.map((serie) => h("td", {}, serie.values[i] == null ? "–" : format(serie.values[i])))),
      ),
    ),
  );
}

function legendDot(colour) {
  return s("svg", { width: 12, height: 12, viewBox: "0 0 12 12", "aria-hidden": "true" }, s("rect", { width: 12, height: 12, rx: 3, fill: colour }));
}

function niceCeiling(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}
