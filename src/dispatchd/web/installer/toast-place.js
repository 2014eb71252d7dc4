// Toasts on the phone never lie over the control the installer just used: they show at the top,
// under the bar, unless that control is there; then just above the tab bar at the bottom.

import { toast as show } from "/web/toast.js";

let lastUsed = null;
document.addEventListener(
  "pointerdown",
  (event) => {
    const control = event.target.closest?.("button, a, input, textarea, label");
    lastUsed = control?.dataset?.focusKey ? { key: control.dataset.focusKey } : control ? { element: control } : null;
  },
  { capture: true, passive: true },
);
document.addEventListener("keydown", () => {
  const active = document.activeElement;
  lastUsed = active?.dataset?.focusKey ? { key: active.dataset.focusKey } : active ? { element: active } : null;
}, { capture: true, passive: true });

function usedControl() {
  if (!lastUsed) return null;
  if (lastUsed.key) return document.querySelector(`[data-focus-key="${CSS.escape(lastUsed.key)}"]`);
  return lastUsed.element.isConnected ? lastUsed.element : null;
}

function overlaps(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

/** Put the toasts where they cover neither the control just used nor the tab bar. */
export function placeToasts() {
  const region = document.querySelector(".toasts");
  if (!region || !region.childElementCount) return;
  region.classList.add("phone");
  region.classList.remove("at-bottom");
  const control = usedControl();
  if (control && overlaps(region.getBoundingClientRect(), control.getBoundingClientRect())) {
    region.classList.add("at-bottom");
  }
}

let watching = false;
function watch() {
  if (watching) return;
  watching = true;
  let queued = false;
  const again = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      placeToasts();
    });
  };
  window.addEventListener("scroll", again, { passive: true });
  window.addEventListener("resize", again);
  new MutationObserver(again).observe(document.getElementById("main"), { childList: true, subtree: true });
}

/** Show a toast (see /web/toast.js) placed away from the control just used. */
export function toast(message, kind = "", seconds = 5) {
  const item = show(message, kind, seconds);
  watch();
  placeToasts();
  requestAnimationFrame(placeToasts);
  return item;
}
