// Short messages in a polite live region, so screen readers announce them too.

let region = null;

function ensureRegion() {
  if (region) return region;
  region = document.createElement("div");
  region.className = "toasts";
  region.setAttribute("role", "status");
  region.setAttribute("aria-live", "polite");
  document.body.append(region);
  return region;
}

/** Show a message for a few seconds; kind is "", "ok", "warn" or "danger". */
export function toast(message, kind = "", seconds = 5) {
  const item = document.createElement("div");
  item.className = `toast ${kind}`.trim();
  item.textContent = message;
  ensureRegion().append(item);
  setTimeout(() => item.remove(), seconds * 1000);
  return item;
}
