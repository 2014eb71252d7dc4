// Zones: the list, and an editor where a boundary is pasted as GeoJSON or drawn by clicking
// its corners on a plain SVG view of the other zones. The drawing and the text stay one: each
// click rewrites the GeoJSON, and GeoJSON typed in is drawn. The server checks the shape.

import { del, patch, post } from "/web/api.js";
import { h, replace, s } from "/web/dom.js";
import { t } from "/web/i18n.js";
import { problemMessage } from "/web/problems.js";
import { toast } from "/web/toast.js";
import { close, field, openForm } from "./manage-dialog.js";
import "./manage-strings.js";
import { loadZones, store } from "./store.js";

const WIDTH = 800;
const HEIGHT = 300;
const DEFAULT_CENTRE = [121.47, 31.23];
const LABELS = { name: "zone_name", boundary: "zone_boundary" };

export function renderZones(view) {
  const zones = [...store.zones.values()].sort((a, b) => a.name.localeCompare(b.name));
  const mayCreate = store.who?.role === "admin" || !store.who?.zone_ids;
  view.append(
    h(
      "div.view-head",
      {},
      h("h1", {}, t("zones_title")),
      h("span.muted", {}, String(zones.length)),
      mayCreate ? h("button.btn", { type: "button", id: "new-zone", onclick: () => openZoneEditor() }, t("new_zone")) : null,
    ),
    zones.length
      ? h(
          "div.card.table-wrap.manage-table",
          {},
          h(
            "table.zone-table",
            {},
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("zone_name")), h("th", { scope: "col" }, t("zone_corners")), h("th", { scope: "col" }, t("installers_title")), h("th.actions", { scope: "col" }, h("span.visually-hidden", {}, t("actions"))))),
            h("tbody", {}, zones.map(zoneRow)),
          ),
        )
      : h("p.empty", {}, t("zones_none")),
  );
}

function zoneRow(zone) {
  const serving = [...store.installers.values()].filter((installer) => installer.zone_ids.includes(zone.id)).length;
  return h(
    "tr",
    { dataset: { zoneId: zone.id } },
    h("th", { scope: "row" }, zone.name, zone.boundary_problem ? h("div.negative.small", {}, t("zone_unreadable")) : null),
    h("td", {}, zone.boundary ? String(outerRings(zone.boundary).reduce((sum, ring) => sum + ring.length - 1, 0)) : "–"),
    h("td", {}, String(serving)),
    h("td.actions", {}, h("button.btn.small.secondary", { type: "button", "data-edit-zone": zone.id, onclick: () => openZoneEditor(zone) }, t("edit"))),
  );
}

function outerRings(boundary) {
  if (!boundary) return [];
  return boundary.type === "Polygon" ? [boundary.coordinates[0]] : boundary.coordinates.map((polygon) => polygon[0]);
}

/** Open the editor for a new zone (no argument) or an existing one. */
export function openZoneEditor(zone = null) {
  const state = { points: zone?.boundary?.type === "Polygon" ? zone.boundary.coordinates[0].slice(0, -1) : [] };
  const boundaryText = zone?.boundary ? JSON.stringify(zone.boundary) : "";
  const textarea = h("textarea.geojson", { id: "ze-boundary", name: "boundary", rows: "5", spellcheck: "false", "aria-describedby": "ze-boundary-hint" }, boundaryText);
  const svg = s("svg", { class: "zone-draw", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": t("zone_draw_label"), id: "ze-draw" });
  const frame = frameFor(zone);
  const redraw = () => draw(svg, frame, state.points, zone);
  svg.addEventListener("click", (event) => {
    const point = toLonLat(svg, frame, event);
    state.points.push(point);
    textarea.value = state.points.length >= 3 ? JSON.stringify(polygon(state.points)) : "";
    redraw();
  });
  textarea.addEventListener("input", () => {
    state.points = pointsFrom(textarea.value);
    redraw();
  });
  const undo = h("button.btn.small.secondary", { type: "button", id: "ze-undo", onclick: () => { state.points.pop(); textarea.value = state.points.length >= 3 ? JSON.stringify(polygon(state.points)) : ""; redraw(); } }, t("zone_undo"));
  const clear = h("button.btn.small.secondary", { type: "button", id: "ze-clear", onclick: () => { state.points = []; textarea.value = ""; redraw(); } }, t("zone_clear"));
  const fields = [
    field("ze-name", "zone_name", "name", { value: zone?.name || "", autocomplete: "off" }),
    h("div.field", {}, h("span.label", { id: "ze-draw-label" }, t("zone_draw")), svg, h("div.row-actions", {}, undo, clear), h("span.hint", {}, t("zone_draw_hint"))),
    h("div.field", {}, h("label", { for: "ze-boundary" }, t("zone_boundary")), textarea, h("span.hint", { id: "ze-boundary-hint" }, t("zone_boundary_hint"))),
  ];
  const remove = zone
    ? h("button.btn.danger", { type: "button", id: "ze-delete", onclick: () => removeZone(zone) }, t("delete_zone"))
    : null;
  openForm({
    id: "zone-form",
    title: zone ? t("edit_zone", { name: zone.name }) : t("new_zone"),
    fields,
    labels: LABELS,
    wide: true,
    extraActions: remove ? [remove] : [],
    submitLabel: zone ? t("save") : t("create_zone"),
    onSubmit: (form) => save(form, zone),
  });
  redraw();
}

async function save(form, zone) {
  const name = form.querySelector("#ze-name").value.trim();
  const text = form.querySelector("#ze-boundary").value.trim();
  let boundary = null;
  try {
    boundary = text ? JSON.parse(text) : null;
  } catch {
    throw localProblem("boundary", "json_invalid");
  }
  if (!boundary && !zone) throw localProblem("boundary", "geojson_object");
  const body = { name };
  if (boundary) body.boundary = boundary;
  if (zone) await patch(`zones/${encodeURIComponent(zone.id)}`, body);
  else await post("zones", body);
  toast(t(zone ? "zone_saved" : "zone_created", { name }), "ok");
  await loadZones();
}

/** A refusal found before sending (text that is not JSON), shaped like the server's. */
function localProblem(fieldName, type) {
  const error = new Error(type);
  error.fieldErrors = [{ field: fieldName, type, message: type }];
  error.problem = { type: "urn:dispatchd:problem:invalid-input" };
  return error;
}

async function removeZone(zone) {
  try {
    await del(`zones/${encodeURIComponent(zone.id)}`);
    close();
    toast(t("zone_deleted", { name: zone.name }), "ok");
    await loadZones();
  } catch (error) {
    const box = document.getElementById("zone-form-error");
    box.textContent = error.status === 409 ? t("zone_has_orders") : problemMessage(error);
    box.hidden = false;
  }
}

function polygon(points) {
  return { type: "Polygon", coordinates: [[...points, points[0]].map(([lon, lat]) => [round(lon), round(lat)])] };
}

function round(value) {
  return Math.round(value * 1e6) / 1e6;
}

function pointsFrom(text) {
  try {
    const value = JSON.parse(text);
    if (value?.type === "Polygon" && Array.isArray(value.coordinates?.[0])) {
      const ring = value.coordinates[0].filter((p) => Array.isArray(p) && Number.isFinite(p[0]) && Number.isFinite(p[1]));
      const open = ring.length > 1 && ring[0][0] === ring.at(-1)[0] && ring[0][1] === ring.at(-1)[1] ? ring.slice(0, -1) : ring;
      return open.map((p) => [p[0], p[1]]);
    }
  } catch {
    // Half-typed text is not drawn until it parses.
  }
  return [];
}

/** The lon/lat window shown: every zone with some margin, or the default city centre. */
function frameFor(zone) {
  const points = [...store.zones.values()].flatMap((z) => outerRings(z.boundary).flat());
  if (zone?.boundary) points.push(...outerRings(zone.boundary).flat());
  let [minLon, minLat, maxLon, maxLat] = points.length
    ? [Math.min(...points.map((p) => p[0])), Math.min(...points.map((p) => p[1])), Math.max(...points.map((p) => p[0])), Math.max(...points.map((p) => p[1]))]
    : [DEFAULT_CENTRE[0] - 0.1, DEFAULT_CENTRE[1] - 0.07, DEFAULT_CENTRE[0] + 0.1, DEFAULT_CENTRE[1] + 0.07];
  const padLon = (maxLon - minLon) * 0.25 || 0.05;
  const padLat = (maxLat - minLat) * 0.25 || 0.05;
  minLon -= padLon;
  maxLon += padLon;
  minLat -= padLat;
  maxLat += padLat;
  const k = Math.cos(((minLat + maxLat) / 2) * (Math.PI / 180));
  const scale = Math.min(WIDTH / ((maxLon - minLon) * k), HEIGHT / (maxLat - minLat));
  const centreLon = (minLon + maxLon) / 2;
  const centreLat = (minLat + maxLat) / 2;
  return { k, scale, centreLon, centreLat };
}

function toXY(frame, [lon, lat]) {
  return [WIDTH / 2 + (lon - frame.centreLon) * frame.k * frame.scale, HEIGHT / 2 - (lat - frame.centreLat) * frame.scale];
}

function toLonLat(svg, frame, event) {
  const point = svg.createSVGPoint();
  point.x = event.clientX;
  point.y = event.clientY;
  const local = point.matrixTransform(svg.getScreenCTM().inverse());
  return [frame.centreLon + (local.x - WIDTH / 2) / (frame.k * frame.scale), frame.centreLat - (local.y - HEIGHT / 2) / frame.scale];
}

function zoneLabel(zone, frame) {
  const ring = outerRings(zone.boundary)[0];
  if (!ring) return null;
  const corners = ring.slice(0, -1);
  const [x, y] = toXY(frame, [corners.reduce((a, p) => a + p[0], 0) / corners.length, corners.reduce((a, p) => a + p[1], 0) / corners.length]);
  return s("text", { x: x.toFixed(1), y: y.toFixed(1), class: "zone-other-label", "text-anchor": "middle" }, zone.name);
}

/** Lines of longitude and latitude at a round step, labelled, so a drawing has bearings. */
function graticule(frame) {
  const spanLon = WIDTH / (frame.k * frame.scale);
  const step = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10].find((candidate) => spanLon / candidate <= 8) || 10;
  const west = frame.centreLon - spanLon / 2;
  const south = frame.centreLat - HEIGHT / frame.scale / 2;
  const lines = [];
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  for (let lon = Math.ceil(west / step) * step; lon < west + spanLon; lon += step) {
    const [x] = toXY(frame, [lon, frame.centreLat]);
    lines.push(s("line", { x1: x.toFixed(1), y1: 0, x2: x.toFixed(1), y2: HEIGHT, class: "graticule" }));
    lines.push(s("text", { x: (x + 3).toFixed(1), y: HEIGHT - 4, class: "graticule-label" }, `${lon.toFixed(digits)}°E`));
  }
  for (let lat = Math.ceil(south / step) * step; lat < south + HEIGHT / frame.scale; lat += step) {
    const [, y] = toXY(frame, [frame.centreLon, lat]);
    lines.push(s("line", { x1: 0, y1: y.toFixed(1), x2: WIDTH, y2: y.toFixed(1), class: "graticule" }));
    lines.push(s("text", { x: 4, y: (y - 3).toFixed(1), class: "graticule-label" }, `${lat.toFixed(digits)}°N`));
  }
  return s("g", { "aria-hidden": "true" }, lines);
}

function draw(svg, frame, points, editing) {
  const others = [...store.zones.values()].filter((z) => z.id !== editing?.id);
  const path = (ring) => ring.map((p, i) => `${i ? "L" : "M"}${toXY(frame, p).map((v) => v.toFixed(1)).join(",")}`).join("") + "Z";
  replace(
    svg,
    s("rect", { x: 0, y: 0, width: WIDTH, height: HEIGHT, class: "zone-draw-bg" }),
    graticule(frame),
    others.map((z) => outerRings(z.boundary).map((ring) => s("path", { d: path(ring), class: "zone-other" }, s("title", {}, z.name)))),
    others.map((z) => zoneLabel(z, frame)),
    points.length >= 2 ? s("path", { d: path(points), class: "zone-drawing" }) : null,
    points.map((p, i) => {
      const [x, y] = toXY(frame, p);
      return s("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: i === 0 ? 6 : 4, class: i === 0 ? "zone-corner first" : "zone-corner" });
    }),
  );
}
