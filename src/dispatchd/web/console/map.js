// The map, drawn as SVG from the server's own data: zones as their real shapes, installers by
// state, open orders by status. A dispatcher pans (drag, arrow keys) and zooms (wheel, the +/-
// buttons or keys) it; a marker opens a popup saying who or what it is. Nothing is fetched from
// the internet unless a tile server is configured (DISPATCHD_MAP_TILE_URL), in which case its
// tiles are drawn underneath at the map's zoom.
//
// The map is one element kept for the whole session and put back into the view at each
// render: live events redraw its markers, but the camera (centre and zoom), an open popup and a
// drag in progress stay as the dispatcher left them.
//
// Zone names are HTML labels laid over the SVG rather than SVG text: they keep a readable size,
// sit on an opaque plate (so they contrast with any tile or tint), and each is put in the first
// spot inside its zone that no marker and no other label covers — or left out while none is
// free, never drawn over something else. Markers that would cover each other are fanned out
// around their common spot, each still drawn and clickable.

import { h, s } from "/web/dom.js";
import { money } from "/web/format.js";
import { t } from "/web/i18n.js";
import { installerName, store } from "./store.js";

const TILE = 256;
const MIN_ZOOM = 2;
const MAX_ZOOM = 19;
const PAN_STEP = 80;
const WHEEL_NOTCH = 80;
const DRAG_SLOP = 4;
const MARKER_GAP = 15;
const DEFAULT_SIZE = [960, 620];
const ZONE_COLOURS = ["#0b5cad", "#1a7f37", "#8a5a00", "#6e3fc4", "#0a7480", "#c2182b", "#57606a"];
const JOB_STATUSES = new Set(["accepted", "suspended", "in_progress"]);
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

/** Where the map looks: the top-left corner in world pixels at the (whole-number) zoom. */
const camera = { z: 12, x: 0, y: 0, fitted: false };
let widget = null;
let selected = null;
let wheel = 0;

export function renderMap(view) {
  const zones = [...store.zones.values()];
  view.append(h("div.view-head", {}, h("h1", {}, t("map_title"))));
  if (!zones.length) {
    view.append(h("p.empty", {}, t("map_no_zones")));
    camera.fitted = false;
    return;
  }
  widget ??= buildWidget();
  const installers = [...store.installers.values()];
  const orders = openOrders();
  const unplaced = installers.filter((i) => !i.location).length;
  view.append(h("div.map-wrap", {}, widget.box, legend(installers, orders, unplaced)));
  if (!camera.fitted) fitZones();
  draw();
}

function openOrders() {
  return [...store.orders.values()].filter((order) => ORDER_COLOURS[order.status] && order.location);
}

function buildWidget() {
  const svg = s("svg", { class: "map", role: "group", tabindex: 0, "aria-label": t("map_title") });
  const labels = h("div.zone-labels", { "aria-hidden": "true" });
  const popup = h("div.map-popup", { role: "dialog", hidden: true });
  const controls = h(
    "div.map-controls",
    {},
    control("zoom-in", "+", "map_zoom_in", () => zoomBy(1)),
    control("zoom-out", "−", "map_zoom_out", () => zoomBy(-1)),
    control("fit", "⤢", "map_fit", () => {
      fitZones();
      draw();
    }),
  );
  const canvas = h("div.map-canvas", {}, svg, labels, controls, popup);
  const attribution = h("p.attribution");
  const box = h("div.map-box.card", {}, canvas, attribution);
  const made = { box, canvas, svg, labels, popup, controls, attribution };
  svg.addEventListener("pointerdown", startDrag);
  svg.addEventListener("wheel", onWheel, { passive: false });
  canvas.addEventListener("keydown", onKey);
  new ResizeObserver(() => widget && widget.canvas.isConnected && draw()).observe(canvas);
  return made;
}

function control(name, symbol, key, act) {
  return h("button.map-control", { type: "button", class: `map-${name}`, dataset: { label: key }, onclick: act }, symbol);
}

function size() {
  const box = widget.svg.getBoundingClientRect();
  return box.width && box.height ? [box.width, box.height] : DEFAULT_SIZE;
}

/** Web Mercator pixels at zoom z. */
function project(lon, lat, z) {
  const scale = TILE * 2 ** z;
  const sin = Math.sin((Math.max(-85, Math.min(85, lat)) * Math.PI) / 180);
  return [((lon + 180) / 360) * scale, (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * scale];
}

function screen(lon, lat) {
  const [x, y] = project(lon, lat, camera.z);
  return [x - camera.x, y - camera.y];
}

function rings(boundary) {
  if (!boundary) return [];
  if (boundary.type === "Polygon") return boundary.coordinates;
  if (boundary.type === "MultiPolygon") return boundary.coordinates.flat();
  return [];
}

/** The zoom and centre that show every zone, as large as fits. */
function fitZones() {
  const points = [...store.zones.values()].flatMap((zone) => rings(zone.boundary).flat());
  if (!points.length) return;
  const world = points.map(([lon, lat]) => project(lon, lat, 0));
  const xs = world.map((p) => p[0]);
  const ys = world.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const [width, height] = size();
  const fits = Math.log2(Math.min((width * 0.9) / (x1 - x0 || 1e-9), (height * 0.9) / (y1 - y0 || 1e-9)));
  camera.z = clampZoom(Math.floor(fits));
  const scale = 2 ** camera.z;
  camera.x = ((x0 + x1) / 2) * scale - width / 2;
  camera.y = ((y0 + y1) / 2) * scale - height / 2;
  camera.fitted = true;
}

function clampZoom(z) {
  return Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, z));
}

/** Zoom by whole steps, keeping the world point under (sx, sy) — default: the centre — in place. */
function zoomBy(steps, sx, sy) {
  const [width, height] = size();
  const [px, py] = [sx ?? width / 2, sy ?? height / 2];
  const z = clampZoom(camera.z + steps);
  const factor = 2 ** (z - camera.z);
  camera.x = (camera.x + px) * factor - px;
  camera.y = (camera.y + py) * factor - py;
  camera.z = z;
  draw();
}

function panBy(dx, dy) {
  camera.x += dx;
  camera.y += dy;
  draw();
}

function onWheel(event) {
  event.preventDefault();
  wheel += event.deltaY;
  if (Math.abs(wheel) < WHEEL_NOTCH) return;
  const origin = widget.svg.getBoundingClientRect();
  zoomBy(wheel < 0 ? 1 : -1, event.clientX - origin.left, event.clientY - origin.top);
  wheel = 0;
}

function onKey(event) {
  if (event.target.closest?.(".map-popup")) {
    if (event.key === "Escape") closePopup(true);
    return;
  }
  const marker = event.target.closest?.("[data-marker]");
  if (marker && (event.key === "Enter" || event.key === " ")) {
    event.preventDefault();
    select(marker.dataset.marker, marker.dataset.id);
    return;
  }
  const moves = { ArrowLeft: [-PAN_STEP, 0], ArrowRight: [PAN_STEP, 0], ArrowUp: [0, -PAN_STEP], ArrowDown: [0, PAN_STEP] };
  if (moves[event.key]) panBy(...moves[event.key]);
  else if (event.key === "+" || event.key === "=") zoomBy(1);
  else if (event.key === "-" || event.key === "_") zoomBy(-1);
  else if (event.key === "0") {
    fitZones();
    draw();
  } else if (event.key === "Escape") closePopup(false);
  else return;
  event.preventDefault();
}

/**
 * Dragging pans the map; a press that does not move is a click (on a marker: its popup). The
 * moves are followed on the window, so a redraw of the view during the drag does not end it.
 */
function startDrag(event) {
  if (event.button !== 0) return;
  const start = { x: event.clientX, y: event.clientY, camX: camera.x, camY: camera.y };
  const target = event.target.closest?.("[data-marker]");
  let dragging = false;
  let frame = 0;
  const move = (e) => {
    const [dx, dy] = [e.clientX - start.x, e.clientY - start.y];
    if (!dragging && Math.hypot(dx, dy) < DRAG_SLOP) return;
    dragging = true;
    widget.canvas.classList.add("dragging");
    camera.x = start.camX - dx;
    camera.y = start.camY - dy;
    if (!frame) frame = requestAnimationFrame(() => ((frame = 0), draw()));
  };
  const end = () => {
    window.removeEventListener("pointermove", move);
    window.removeEventListener("pointerup", end);
    window.removeEventListener("pointercancel", end);
    widget.canvas.classList.remove("dragging");
    if (dragging) return;
    if (target) select(target.dataset.marker, target.dataset.id);
    else closePopup(false);
  };
  window.addEventListener("pointermove", move);
  window.addEventListener("pointerup", end);
  window.addEventListener("pointercancel", end);
}

/** Redraw tiles, zones, markers and labels for the camera and the store as they are now. */
function draw() {
  if (!widget) return;
  const [width, height] = size();
  const { svg } = widget;
  const focusKey = svg.contains(document.activeElement) ? document.activeElement.dataset?.focusKey : null;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("aria-label", t("map_title"));
  const zones = [...store.zones.values()];
  const backdrop = tiles(width, height);
  svg.replaceChildren(...(backdrop ? [backdrop] : []), ...zones.map((zone, index) => zoneShape(zone, index)), ...markers());
  if (focusKey) svg.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus({ preventScroll: true });
  widget.labels.replaceChildren(...zones.map((zone, index) => zoneLabel(zone, index)));
  for (const button of widget.controls.querySelectorAll("button")) {
    button.setAttribute("aria-label", t(button.dataset.label));
    button.title = t(button.dataset.label);
  }
  widget.box.dataset.zoom = String(camera.z);
  const credit = store.config.map_tile_url ? store.config.map_tile_attribution || "" : "";
  widget.attribution.textContent = credit;
  widget.attribution.hidden = !credit;
  placeLabels(width, height);
  showPopup();
}

function tiles(width, height) {
  const template = store.config.map_tile_url;
  if (!template) return null;
  const group = s("g", { class: "tiles" });
  const count = 2 ** camera.z;
  for (let x = Math.floor(camera.x / TILE); x * TILE < camera.x + width; x++) {
    for (let y = Math.max(0, Math.floor(camera.y / TILE)); y * TILE < camera.y + height && y < count; y++) {
      const wrapped = ((x % count) + count) % count;
      const href = template
        .replace("{z}", camera.z)
        .replace("{x}", wrapped)
        .replace("{y}", y)
        .replace("{s}", "abc"[(wrapped + y) % 3]);
      group.append(s("image", { href, x: x * TILE - camera.x, y: y * TILE - camera.y, width: TILE, height: TILE }));
    }
  }
  return group;
}

function zoneShape(zone, index) {
  const colour = ZONE_COLOURS[index % ZONE_COLOURS.length];
  const path = rings(zone.boundary)
    .map((ring) => ring.map(([lon, lat], i) => `${i ? "L" : "M"}${screen(lon, lat).map(round).join(",")}`).join("") + "Z")
    .join("");
  return s(
    "g",
    { class: "zone" },
    s("path", { d: path, fill: colour, "fill-opacity": 0.08, stroke: colour, "stroke-width": 2, "stroke-linejoin": "round" }, s("title", {}, zone.name)),
  );
}

function round(value) {
  return Math.round(value * 10) / 10;
}

/**
 * Every marker at its spot; markers that would overlap are fanned out on a small circle around
 * their common centre (with a dot at the true place), so each can still be seen and clicked.
 */
function markers() {
  const items = [
    ...openOrders().map((order) => ({ kind: "order", item: order, at: screen(order.location.lon, order.location.lat) })),
    ...[...store.installers.values()]
      .filter((installer) => installer.location)
      .map((installer) => ({ kind: "installer", item: installer, at: screen(installer.location.lon, installer.location.lat) })),
  ];
  const groups = [];
  for (const marker of items) {
    const near = groups.find((group) => Math.hypot(group.at[0] - marker.at[0], group.at[1] - marker.at[1]) < MARKER_GAP);
    if (near) near.members.push(marker);
    else groups.push({ at: marker.at, members: [marker] });
  }
  const drawn = [];
  for (const group of groups) {
    const n = group.members.length;
    if (n > 1) drawn.push(s("circle", { class: "fan-centre", cx: group.at[0], cy: group.at[1], r: 2.5 }));
    const radius = n > 1 ? Math.max(MARKER_GAP, (MARKER_GAP * n) / (2 * Math.PI)) : 0;
    group.members.forEach((marker, index) => {
      const angle = (2 * Math.PI * index) / n - Math.PI / 2;
      const [x, y] = [group.at[0] + radius * Math.cos(angle), group.at[1] + radius * Math.sin(angle)];
      if (n > 1) drawn.push(s("line", { class: "fan-leg", x1: group.at[0], y1: group.at[1], x2: x, y2: y }));
      drawn.push(marker.kind === "order" ? orderMarker(marker.item, x, y) : installerMarker(marker.item, x, y));
    });
  }
  return drawn;
}

function orderMarker(order, x, y) {
  const r = 7;
  const label = `${order.product} — ${order.address} (${t(`status_${order.status}`)})`;
  const chosen = selected?.kind === "order" && selected.id === order.id;
  return s(
    "g",
    {
      class: `order-marker status-${order.status}${chosen ? " selected" : ""}`,
      role: "button",
      tabindex: 0,
      "aria-label": label,
      "aria-haspopup": "dialog",
      "data-marker": "order",
      "data-id": order.id,
      "data-focus-key": `marker-${order.id}`,
    },
    s("rect", {
      x: x - r,
      y: y - r,
      width: 2 * r,
      height: 2 * r,
      transform: `rotate(45 ${x} ${y})`,
      fill: ORDER_COLOURS[order.status],
      stroke: "#fff",
      "stroke-width": 2,
    }),
    s("title", {}, label),
  );
}

function installerMarker(installer, x, y) {
  const state = installerState(installer);
  const label = `${installer.name}: ${t(`inst_${state}`)} (${installer.active_jobs}/${installer.capacity})`;
  const chosen = selected?.kind === "installer" && selected.id === installer.id;
  return s(
    "g",
    {
      class: `installer-marker state-${state}${chosen ? " selected" : ""}`,
      role: "button",
      tabindex: 0,
      "aria-label": label,
      "aria-haspopup": "dialog",
      "data-marker": "installer",
      "data-id": installer.id,
      "data-focus-key": `marker-${installer.id}`,
    },
    s("circle", { cx: x, cy: y, r: 7, fill: INSTALLER_STATES[state], stroke: "#fff", "stroke-width": 2.5 }),
    s("title", {}, label),
  );
}

/** A zone's name, to be placed over the map by placeLabels (its bounds are in screen pixels). */
function zoneLabel(zone, index) {
  const points = rings(zone.boundary).flat().map(([lon, lat]) => screen(lon, lat));
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
 * Put each zone's label inside the visible part of its zone, in the first of nine spots (top,
 * middle and bottom rows; centre, left and right) that no marker, control or placed label
 * covers. A label with no free spot, or whose zone is out of sight, is hidden until the map
 * moves — a name never covers a marker or another name.
 */
function placeLabels(width, height) {
  const { canvas, svg } = widget;
  const origin = canvas.getBoundingClientRect();
  const local = (box) => ({
    left: box.left - origin.left,
    top: box.top - origin.top,
    right: box.right - origin.left,
    bottom: box.bottom - origin.top,
  });
  const taken = [...svg.querySelectorAll(".order-marker, .installer-marker"), widget.controls].map((e) =>
    local(e.getBoundingClientRect()),
  );
  const inset = 6;
  const covers = (box, spot) =>
    box.left < spot.right + 2 && box.right > spot.left - 2 && box.top < spot.bottom + 2 && box.bottom > spot.top - 2;
  for (const label of widget.labels.querySelectorAll(".zone-label")) {
    const [x0, y0, x1, y1] = JSON.parse(label.dataset.bounds);
    const [left, top, right, bottom] = [Math.max(x0, 0), Math.max(y0, 0), Math.min(x1, width), Math.min(y1, height)];
    label.hidden = false;
    const [w, hgt] = [label.offsetWidth, label.offsetHeight];
    const roomy = right - left >= w + 2 * inset && bottom - top >= hgt + 2 * inset;
    const columns = [(left + right - w) / 2, left + inset, right - w - inset];
    const rows = [top + inset, (top + bottom - hgt) / 2, bottom - hgt - inset];
    const spots = rows.flatMap((y) => columns.map((x) => ({ left: x, top: y, right: x + w, bottom: y + hgt })));
    const spot = roomy && spots.find((candidate) => !taken.some((box) => covers(box, candidate)));
    if (!spot) {
      label.hidden = true;
      continue;
    }
    taken.push(spot);
    label.style.left = `${spot.left}px`;
    label.style.top = `${spot.top}px`;
  }
}

function select(kind, id) {
  const known = kind === "installer" ? store.installers.get(id) : store.orders.get(id);
  if (!known) return;
  selected = { kind, id };
  draw();
  widget.popup.querySelector("button.map-popup-close")?.focus({ preventScroll: true });
}

function closePopup(returnFocus) {
  if (!selected) return;
  const was = selected;
  selected = null;
  draw();
  if (returnFocus) widget.svg.querySelector(`[data-focus-key="marker-${CSS.escape(was.id)}"]`)?.focus({ preventScroll: true });
}

/** The open popup, refilled from the store at each redraw and set beside its marker. */
function showPopup() {
  const { popup, svg, canvas } = widget;
  const item = selected && (selected.kind === "installer" ? store.installers.get(selected.id) : store.orders.get(selected.id));
  const marker = selected && svg.querySelector(`[data-marker="${selected.kind}"][data-id="${CSS.escape(selected.id)}"]`);
  if (!item || !marker) {
    selected = item ? selected : null;
    popup.hidden = true;
    popup.replaceChildren();
    return;
  }
  const focusedInside = popup.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
  const body = selected.kind === "installer" ? installerPopup(item) : orderPopup(item);
  popup.replaceChildren(
    h("button.map-popup-close", { type: "button", "aria-label": t("close"), "data-focus-key": "map-popup-close", onclick: () => closePopup(true) }, "×"),
    ...body,
  );
  popup.setAttribute("aria-label", selected.kind === "installer" ? item.name : item.product);
  popup.hidden = false;
  const origin = canvas.getBoundingClientRect();
  const at = marker.getBoundingClientRect();
  const [w, hgt] = [popup.offsetWidth, popup.offsetHeight];
  const x = Math.min(Math.max(4, at.left - origin.left + at.width / 2 - w / 2), origin.width - w - 4);
  const below = at.bottom - origin.top + 8;
  const y = below + hgt > origin.height ? Math.max(4, at.top - origin.top - hgt - 8) : below;
  popup.style.left = `${x}px`;
  popup.style.top = `${y}px`;
  if (focusedInside) popup.querySelector(`[data-focus-key="${CSS.escape(focusedInside)}"]`)?.focus({ preventScroll: true });
}

function installerPopup(installer) {
  const state = installerState(installer);
  const jobs = [...store.orders.values()].filter(
    (order) =>
      (order.installer_id === installer.id && JOB_STATUSES.has(order.status)) ||
      (order.status === "offered" && order.current_offer?.installer_id === installer.id),
  );
  return [
    h("h3", {}, installer.name),
    h("p.popup-state", {}, dot(INSTALLER_STATES[state]), t(`inst_${state}`)),
    h("p", {}, t("map_load", { n: installer.active_jobs, capacity: installer.capacity })),
    installer.phone ? h("p", {}, h("a", { href: `tel:${installer.phone}`, "data-focus-key": "map-popup-phone" }, installer.phone)) : null,
    h("h4", {}, t("map_current_jobs")),
    jobs.length
      ? h(
          "ul.popup-jobs",
          {},
          jobs.map((order) =>
            h(
              "li",
              {},
              h("a", { href: `#/orders/${order.id}`, "data-focus-key": `map-popup-job-${order.id}` }, order.product),
              ` · ${t(`status_${order.status}`)}`,
            ),
          ),
        )
      : h("p.muted", {}, t("map_no_jobs")),
    h("a.popup-open", { href: `#/installers/${installer.id}`, "data-focus-key": "map-popup-open" }, t("map_open_installer")),
  ];
}

function orderPopup(order) {
  const who = order.installer_id || order.current_offer?.installer_id;
  return [
    h("h3", {}, order.product),
    h("p.popup-state", {}, dot(ORDER_COLOURS[order.status] || "#57606a"), t(`status_${order.status}`)),
    h("p", {}, order.address),
    who ? h("p", {}, t("map_installer", { name: installerName(who) })) : null,
    order.fee ? h("p", {}, t("map_fee", { fee: money(order.fee) })) : null,
    h("a.popup-open", { href: `#/orders/${order.id}`, "data-focus-key": "map-popup-open" }, t("map_open_order")),
  ];
}

/** A coloured dot, styled through the CSSOM (the pages' CSP allows no inline style attribute). */
function dot(colour) {
  const made = h("span.dot", { "aria-hidden": "true" });
  made.style.background = colour;
  return made;
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
    h("p.muted.small.map-help", {}, t("map_help")),
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
