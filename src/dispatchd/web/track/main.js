// The customer's tracking page keeps itself current without reloading: it reads the same status
// it was drawn from (GET /api/v1/track/{token}) every 12 seconds while the installer is on the
// way — so the distance shrinks before the customer's eyes — and every minute otherwise; never
// while the tab is hidden (a phone in a pocket costs nothing), and not at all once the job is
// over. The server's first answer comes with the page, so the page is whole at once.

import { h } from "/web/dom.js";
import { mountLanguageSwitch, t, translatePage } from "/web/i18n.js";
import "./strings.js";
import { ratingCard, rescheduleCard, showRating, showReschedule } from "./forms.js";
import { onTheWay, show } from "./view.js";
import { setTimeZone } from "./zone-time.js";

const ON_THE_WAY_MS = 12000;
const OTHERWISE_MS = 60000;
const data = JSON.parse(document.getElementById("track-data").textContent);
const token = decodeURIComponent(location.pathname.split("/").pop());
let view = data.view;
let checkedAt = new Date().toISOString();
let timer = null;

setTimeZone(view.appointment?.timezone || data.time_zone);

/** How long until the next look, or null when nothing more can change for the customer. */
function nextLook(current) {
  if (current.status === "cancelled") return null;
  if (current.status === "completed" && (current.rating || !current.can_rate)) return null;
  return onTheWay(current) ? ON_THE_WAY_MS : OTHERWISE_MS;
}

function skeleton() {
  const card = (id, titleKey, ...children) =>
    h(
      `section.card.${id}`,
      { id, "aria-labelledby": `${id}-title`, hidden: true },
      h("h2", { id: `${id}-title`, "data-i18n": titleKey }, t(titleKey)),
      ...children,
    );
  return [
    h(
      "section.card.progress",
      { "aria-labelledby": "product" },
      h("h2", { id: "product" }),
      h("p.status", { id: "status", role: "status" }),
      h("h3.visually-hidden", { id: "steps-title", "data-i18n": "steps_title" }, t("steps_title")),
      h("ol.steps", { id: "steps", "aria-labelledby": "steps-title" }),
    ),
    card(
      "distance",
      "distance_title",
      h("p.distance-text", { id: "distance-text" }),
      h("p.eta", { id: "eta" }),
      h("p.muted.small", { id: "checked-at" }),
    ),
    card("appointment", "appointment_title", h("p.window", { id: "window" }), h("p.muted.small", { id: "zone-note" })),
    card(
      "installer",
      "installer_title",
      h("p.name", { id: "installer-name" }),
      h(
        "a.btn.ok.call",
        { id: "installer-call" },
        h("span.glyph", { "aria-hidden": "true" }, "✆"),
        h("span.call-name"),
        h("span.call-phone"),
      ),
    ),
    ratingCard(token, rated),
    rescheduleCard(token, () => new Date().toISOString()),
  ];
}

function render() {
  show(view, checkedAt);
  showRating(document.getElementById("rating"), view);
  showReschedule(document.getElementById("reschedule"), view);
}

async function refresh() {
  clearTimeout(timer);
  timer = null;
  if (document.hidden) return;
  let wait = nextLook(view);
  try {
    const response = await fetch(`/api/v1/track/${encodeURIComponent(token)}`, {
      headers: { Accept: "application/json" },
      credentials: "omit",
      cache: "no-store",
    });
    if (response.status === 404) return;
    if (response.ok) {
      view = await response.json();
      checkedAt = new Date().toISOString();
      render();
      wait = nextLook(view);
    } else if (response.status === 429) {
      wait = Math.max(OTHERWISE_MS, Number(response.headers.get("Retry-After") || 0) * 1000);
    }
  } catch {
    // offline: the next look tries again
  }
  schedule(wait);
}

function schedule(wait) {
  clearTimeout(timer);
  timer = wait == null || document.hidden ? null : setTimeout(refresh, wait);
}

/** After the customer's rating: show it at once (from the answer), then the server's view. */
function rated(rating) {
  if (rating) {
    view = { ...view, rating, can_rate: false };
    render();
  }
  refresh();
}

document.getElementById("track").replaceChildren(...skeleton());
translatePage();
mountLanguageSwitch(document.getElementById("language-switch"));
document.getElementById("language-switch").hidden = false;
window.addEventListener("languagechange-app", render);
render();
schedule(nextLook(view));
document.addEventListener("visibilitychange", () => (document.hidden ? schedule(null) : refresh()));
