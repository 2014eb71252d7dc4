// Creating an order from the console (shops usually do it over the API).

import { post } from "/web/api.js";
import { trapFocus } from "/web/focus.js";
import { t } from "/web/i18n.js";
import { clearProblem, showProblem } from "/web/problems.js";
import { toast } from "/web/toast.js";
import { loadOrder, store } from "./store.js";

const $ = (id) => document.getElementById(id);
const NEW_ORDER_LABELS = {
  "customer.name": "customer_name",
  "customer.phone": "customer_phone",
  address: "address",
  product: "product",
  "location.lat": "latitude",
  "location.lon": "longitude",
  skills: "skills",
  notes: "notes",
};

export function setUpNewOrder() {
  trapFocus($("new-order"));
  $("new-order-cancel").addEventListener("click", () => $("new-order").close());
  $("new-order-form").addEventListener("submit", submit);
}

export function openNewOrder() {
  const form = $("new-order-form");
  clearProblem(form, $("new-order-error"));
  if (!form.elements["location.lat"].value) {
    const [lat, lon] = zoneCentre();
    form.elements["location.lat"].value = lat;
    form.elements["location.lon"].value = lon;
  }
  $("new-order").showModal();
  $("no-customer-name").focus();
}

function zoneCentre() {
  const zone = [...store.zones.values()][0];
  const ring = zone?.boundary?.type === "Polygon" ? zone.boundary.coordinates[0] : zone?.boundary?.coordinates?.[0]?.[0];
  if (!ring) return ["", ""];
  const lons = ring.map((p) => p[0]);
  const lats = ring.map((p) => p[1]);
  const mid = (values) => ((Math.min(...values) + Math.max(...values)) / 2).toFixed(5);
  return [mid(lats), mid(lons)];
}

async function submit(event) {
  event.preventDefault();
  const form = event.target;
  const value = (name) => form.elements[name].value.trim();
  const body = {
    customer: { name: value("customer.name"), phone: value("customer.phone") },
    address: value("address"),
    product: value("product"),
    location: { lat: Number(value("location.lat")), lon: Number(value("location.lon")) },
    skills: value("skills")
      .split(/[,，]/)
      .map((skill) => skill.trim())
      .filter(Boolean),
    notes: value("notes") || null,
  };
  const button = $("new-order-submit");
  button.disabled = true;
  try {
    const order = await post("orders", body);
    $("new-order").close();
    for (const name of ["customer.name", "customer.phone", "address", "product", "skills", "notes"]) form.elements[name].value = "";
    toast(t("created_order"), "ok");
    loadOrder(order.id).catch(() => {});
  } catch (error) {
    showProblem(form, $("new-order-error"), error, NEW_ORDER_LABELS);
  } finally {
    button.disabled = false;
  }
}
