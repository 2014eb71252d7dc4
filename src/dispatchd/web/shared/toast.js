// Short messages in a polite live region, so screen readers announce them too.

let region = null;
let limit = Infinity;

function ensureRegion() {
  if (region) return region;
  region = document.createElement("div");
  region.className = "toasts";
  region.setAttribute("role", "status");
  region.setAttribute("aria-live", "polite");
  document.body.append(region);
  return region;
}

/**
 * How many toasts a page shows at once: past that, a new toast replaces the oldest. The
 * console keeps one, so a burst of events never stacks messages over the screen.
 */
export function limitToasts(count) {
  limit = Math.max(1, count);
  trim();
}

function trim() {
  while (region && region.childElementCount > limit) region.firstElementChild.remove();
}

/** Show a message for a few seconds; kind is "", "ok", "warn" or "danger". */
export function toast(message, kind = "", seconds = 5) {
  const item = document.createElement("div");
  item.className = `toast ${kind}`.trim();
  item.textContent = message;
  ensureRegion().append(item);
  trim();
  setTimeout(() => item.remove(), seconds * 1000);
  return item;
}
