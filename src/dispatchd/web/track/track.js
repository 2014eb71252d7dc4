// The customer's tracking page keeps itself current without reloading: every 30 seconds, while
// it is on screen, it reads the same status the page was drawn from (GET /api/v1/track/{token})
// and changes only what changed, so a screen reader announces a new status once and the page
// never jumps under the customer's finger. Once the job is completed or cancelled it stops.

const EVERY_MS = 30000;
const STEPS = ["created", "accepted", "started", "completed", "cancelled"];
const FINAL = new Set(["completed", "cancelled"]);
const words = JSON.parse(document.getElementById("track-words").textContent);
const token = decodeURIComponent(location.pathname.split("/").pop());
const $ = (id) => document.getElementById(id);
let timer = null;

/** "2024-05-01 09:30 UTC", as the server writes it. */
function moment(iso) {
  return `${iso.slice(0, 16).replace("T", " ")} UTC`;
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

function stepItem(step, iso) {
  const item = document.createElement("li");
  const label = document.createElement("span");
  label.textContent = words[step];
  const time = document.createElement("time");
  time.dateTime = iso;
  time.textContent = moment(iso);
  item.append(label, time);
  return item;
}

/** Bring the page in line with the tracking JSON. */
function show(view) {
  setText($("product"), view.product);
  setText($("status"), words[`status_${view.status}`] || view.status);
  const steps = STEPS.filter((step) => view[`${step}_at`]).map((step) => stepItem(step, view[`${step}_at`]));
  const timeline = $("timeline");
  if (steps.map((item) => item.textContent).join("|") !== [...timeline.children].map((item) => item.textContent).join("|")) {
    timeline.replaceChildren(...steps);
  }
  $("installer").hidden = !view.installer;
  if (view.installer) {
    setText($("installer-name"), view.installer.name);
    const call = $("installer-call");
    call.href = `tel:${view.installer.phone}`;
    setText(call, `${words.call} ${view.installer.phone}`);
  }
}

async function refresh() {
  if (document.hidden) return;
  let view;
  try {
    const response = await fetch(`/api/v1/track/${encodeURIComponent(token)}`, {
      headers: { Accept: "application/json" },
      credentials: "omit",
      cache: "no-store",
    });
    if (!response.ok) return;
    view = await response.json();
  } catch {
    return; // offline: the next tick tries again
  }
  show(view);
  if (FINAL.has(view.status)) {
    clearInterval(timer);
    document.removeEventListener("visibilitychange", refresh);
  }
}

if (!FINAL.has(document.body.dataset.status)) {
  timer = setInterval(refresh, EVERY_MS);
  document.addEventListener("visibilitychange", refresh);
}
