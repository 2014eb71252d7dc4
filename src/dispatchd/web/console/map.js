// The map, drawn as SVG from the server's own data: zones, installers by state, open orders by
// status. Nothing is fetched from the internet unless a tile server is configured
// (DISPATCHD_MAP_TILE_URL), in which case its tiles are drawn underneath.
//
// Zone names are HTML labels laid over the SVG rather than SVG text: they keep a readable size
// on a phone, sit on an opaque plate (so they contrast with any tile or tint), and are moved to
// a corner of their zone where no marker is, so neither hides the other.

import { h, s } from "/web/dom.js";
import { t } from "/web/i18n.js";
import { store } from "./store.js";

const TILE = 256;
const ZONE_COLOURS = ["#0b5cad", "#1a7f37", "#8a5a00", "#6e3fc4", "#0a7480", "#c2182b", "#57606a"];
export const INSTALLER_STATES = {
  off_duty: "#8c959f",
  free: "#1a7f37",
  busy: "#d4a72c",
  full: "#c2182b",
};
export const ORDER_COLOURS = {
  pending: "#c2182b",
  offered: "#0b5cad",
  accepted: "#0a7480",
  in_progress: "#6e3fc4",
};

export function installerState(installer) {
  if (!installer.on_duty) return "off_duty";
  if (installer.active_jobs >= installer.capacity) return "full";
  return installer.active_jobs > 0 ? "busy" : "free";
}

export function renderMap(view) {
  const zones = [...store.zones.values()];
  const installers = [...store.installers.values()];
  const orders = [...store.orders.values()].filter((order) => ORDER_COLOURS[order.status]);
  view.append(h("div.view-head", {}, h("h1", {}, t("map_title"))));
  if (!zones.length) {
    view.append(h("p.empty", {}, t("map_no_zones")));
    return;
  }
  const frame = fit(zones);
  // A group, not an image: the order markers inside are links a keyboard user can reach.
  const svg = s(
    "svg",
    {
      class: "map",
      viewBox: `${frame.x} ${frame.y} ${frame.w} ${frame.h}`,
      role: "group",
      "aria-label": t("map_title"),
      preserveAspectRatio: "xMidYMid meet",
    },
    tiles(frame),
    zones.map((zone, index) => zoneShape(zone, index, frame)),
    orders.map((order) => orderMarker(order, frame)),
    installers.filter((i) => i.location).map((installer) => installerMarker(installer, frame)),
  );
  const labels = h(
    "div.zone-labels",
    { "aria-hidden": "true" },
    zones.map((zone, index) => zoneLabel(zone, index, frame)),
  );
  const canvas = h("div.map-canvas", {}, svg, labels);
  const unplaced = installers.filter((i) => !i.location).length;
  view.append(
    h(
      "div.map-wrap",
      {},
      h("div.map-box.card", {}, canvas, attribution()),
      legend(installers, orders, unplaced),
    ),
  );
  resizes.disconnect();
  resizes.observe(canvas);
}

const resizes = new ResizeObserver((entries) => {
  for (const entry of entries) placeLabels(entry.target);
});

/** Web Mercator pixels at zoom z. */
function project(lon, lat, z) {
  const scale = TILE * 2 ** z;
  const sin = Math.sin((Math.max(-85, Math.min(85, lat)) * Math.PI) / 180);
  return [((lon + 180) / 360) * scale, (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * scale];
}

function fit(zones) {
  const positions = zones.flatMap((zone) => rings(zone.boundary).flat());
  const lons = positions.map((p) => p[0]);
  const lats = positions.map((p) => p[1]);
  const [minLon, maxLon, minLat, maxLat] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const [x0, y0] = project(minLon, maxLat, 0);
  const [x1, y1] = project(maxLon, minLat, 0);
  const z = Math.max(0, Math.min(18, Math.floor(Math.log2(Math.min(1000 / (x1 - x0 || 1e-9), 700 / (y1 - y0 || 1e-9))))));
  const [a, b] = project(minLon, maxLat, z);
  const [c, d] = project(maxLon, minLat, z);
  const pad = Math.max(c - a, d - b) * 0.04;
  return { z, x: a - pad, y: b - pad, w: c - a + 2 * pad, h: d - b + 2 * pad, unit: Math.max(c - a, d - b) / 120 };
}

function rings(boundary) {
  if (!boundary) return [];
  if (boundary.type === "Polygon") return boundary.coordinates;
  if (boundary.type === "MultiPolygon") return boundary.coordinates.flat();
  return [];
}

function tiles(frame) {
  const template = store.config.map_tile_url;
  if (!template) return null;
  const group = s("g", { class: "tiles" });
  for (let x = Math.floor(frame.x / TILE); x * TILE < frame.x + frame.w; x++) {
    for (let y = Math.floor(frame.y / TILE); y * TILE < frame.y + frame.h; y++) {
      const href = template
        .replace("{z}", frame.z)
        .replace("{x}", x)
        .replace("{y}", y)
        .replace("{s}", "abc"[(x + y) % 3]);
      group.append(s("image", { href, x: x * TILE, y: y * TILE, width: TILE, height: TILE }));
    }
  }
  return group;
}

function zoneShape(zone, index, frame) {
  const colour = ZONE_COLOURS[index % ZONE_COLOURS.length];
  const path = rings(zone.boundary)
    .map((ring) => ring.map(([lon, lat], i) => `${i ? "L" : "M"}${project(lon, lat, frame.z).join(",")}`).join("") + "Z")
    .join("");
  return s(
    "g",
    { class: "zone" },
    s("path", { d: path, fill: colour, "fill-opacity": 0.08, stroke: colour, "stroke-width": frame.unit * 0.35, "stroke-linejoin": "round" }, s("title", {}, zone.name)),
  );
}

/** A zone's name, to be placed over the map by placeLabels (its bounds are in map units). */
function zoneLabel(zone, index, frame) {
  const points = rings(zone.boundary).flat().map(([lon, lat]) => project(lon, lat, frame.z));
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const label = h(
    "span.zone-label",
    { dataset: { bounds: JSON.stringify([Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]) } },
    zone.name,
  );
  const colour = ZONE_COLOURS[index % ZONE_COLOURS.length];
  label.style.color = colour;
  label.style.borderColor = colour;
  return label;
}

/**
 * Put each zone's label inside its zone, in the first of six spots (top centre, top corners,
 * bottom centre, bottom corners) that no marker or other label covers; top centre if none is free.
 */
function placeLabels(canvas) {
  const svg = canvas.querySelector("svg.map");
  const ctm = svg?.getScreenCTM();
  if (!ctm) return;
  const origin = canvas.getBoundingClientRect();
  const taken = [...svg.querySelectorAll(".order-marker, .installer-marker")].map((marker) => marker.getBoundingClientRect());
  const inset = 6;
  for (const label of canvas.querySelectorAll(".zone-label")) {
    const [x0, y0, x1, y1] = JSON.parse(label.dataset.bounds);
    const [left, top] = [ctm.a * x0 + ctm.e, ctm.d * y0 + ctm.f];
    const [right, bottom] = [ctm.a * x1 + ctm.e, ctm.d * y1 + ctm.f];
    const [width, height] = [label.offsetWidth, label.offsetHeight];
    const columns = [(left + right - width) / 2, left + inset, right - width - inset];
    const spots = [top + inset, bottom - height - inset].flatMap((y) => columns.map((x) => ({ x, y })));
    const covers = (box, spot) =>
      box.left < spot.x + width + 2 && box.right > spot.x - 2 && box.top < spot.y + height + 2 && box.bottom > spot.y - 2;
    const spot = spots.find((candidate) => !taken.some((box) => covers(box, candidate))) || spots[0];
    taken.push({ left: spot.x, top: spot.y, right: spot.x + width, bottom: spot.y + height });
    label.style.left = `${spot.x - origin.left}px`;
    label.style.top = `${spot.y - origin.top}px`;
  }
}

function orderMarker(order, frame) {
  const [x, y] = project(order.location.lon, order.location.lat, frame.z);
  const r = frame.unit * 1.3;
  const label = `${order.product} — ${order.address} (${t(`status_${order.status}`)})`;
  return s(
    "a",
    { href: `#/orders/${order.id}`, class: `order-marker status-${order.status}`, "aria-label": label, "data-focus-key": `marker-${order.id}` },
    s("rect", {
      x: x - r,
      y: y - r,
      width: 2 * r,
      height: 2 * r,
      transform: `rotate(45 ${x} ${y})`,
      fill: ORDER_COLOURS[order.status],
      stroke: "#fff",
      "stroke-width": r * 0.3,
    }),
    s("title", {}, label),
  );
}

function installerMarker(installer, frame) {
  const [x, y] = project(installer.location.lon, installer.location.lat, frame.z);
  const state = installerState(installer);
  const label = `${installer.name}: ${t(`inst_${state}`)} (${installer.active_jobs}/${installer.capacity})`;
  return s(
    "g",
    { class: `installer-marker state-${state}` },
    s("circle", { cx: x, cy: y, r: frame.unit * 1.15, fill: INSTALLER_STATES[state], stroke: "#fff", "stroke-width": frame.unit * 0.35 }),
    s("title", {}, label),
  );
}

function attribution() {
  const text = store.config.map_tile_url ? store.config.map_tile_attribution || "" : "";
  return text ? h("p.attribution", {}, text) : null;
}

function legend(installers, orders, unplaced) {
  const count = (list, key, value) => list.filter((item) => key(item) === value).length;
  return h(
    "aside.legend.card",
    { "aria-label": t("map_legend") },
    h("h2", {}, t("map_legend")),
    h("h3", {}, t("installers_title")),
    h(
      "ul",
      {},
      Object.entries(INSTALLER_STATES).map(([state, colour]) =>
        h(
          "li",
          {},
          swatch(colour, "circle"),
          `${t(`inst_${state}`)} (${count(installers, installerState, state)})`,
        ),
      ),
    ),
    h("h3", {}, t("orders_title")),
    h(
      "ul",
      {},
      Object.entries(ORDER_COLOURS).map(([status, colour]) =>
        h("li", {}, swatch(colour, "diamond"), `${t(`status_${status}`)} (${count(orders, (o) => o.status, status)})`),
      ),
    ),
    unplaced ? h("p.muted.small", {}, t("map_no_location", { n: unplaced })) : null,
  );
}

function swatch(colour, shape) {
  return s(
    "svg",
    { width: 14, height: 14, viewBox: "0 0 14 14", "aria-hidden": "true", class: "swatch" },
    shape === "circle"
      ? s("circle", { cx: 7, cy: 7, r: 6, fill: colour })
      : s("rect", { x: 3, y: 3, width: 8, height: 8, fill: colour, transform: "rotate(45 7 7)" }),
  );
}
