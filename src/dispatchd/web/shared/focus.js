// Keeping a keyboard user's place. The clients redraw whole regions when data changes, which
// replaces the element that had focus; without help the focus falls back to the page's start
// and the user must tab through everything again. Elements that can hold focus carry a stable
// key (their id, or data-focus-key), so the same control is focused again after a redraw; an
// action can also ask for the control that comes next (after "Accept", the job's "Start").

const WANTED_FOR_MS = 10000;
let wanted = null;
let placed = null;

function keyOf(element) {
  if (!element || element === document.body) return null;
  if (element.dataset?.focusKey) return `[data-focus-key="${CSS.escape(element.dataset.focusKey)}"]`;
  return element.id ? `#${CSS.escape(element.id)}` : null;
}

/**
 * Run a redraw of root; if focus was inside root, focus the same control afterwards, or the
 * control an action asked for, or else fallback() (default: root itself, given tabindex -1).
 */
export function keepFocus(root, redraw, fallback = () => root) {
  const active = document.activeElement;
  const inside = active && active !== root && root.contains(active);
  const key = inside ? keyOf(active) : null;
  redraw();
  if (wanted && Date.now() > wanted.until) wanted = null;
  const now = document.activeElement;
  // An asked-for control takes the focus only from where the redraws left it, never from
  // wherever the user has moved on to.
  if (wanted && (now === document.body || now === placed || now === root || root.contains(now))) {
    const target = document.querySelector(wanted.selector);
    if (target && !target.disabled) {
      wanted = null;
      place(target, true);
      return;
    }
  }
  if (!inside || (now !== document.body && root.contains(now))) return;
  const again = key && root.querySelector(key);
  place(again && !again.disabled ? again : fallback(), false);
}

/** Focus the control with this data-focus-key as soon as a redraw shows it (within 10 s). */
export function focusWhenShown(focusKey) {
  wanted = { selector: `[data-focus-key="${CSS.escape(focusKey)}"]`, until: Date.now() + WANTED_FOR_MS };
  const target = document.querySelector(wanted.selector);
  if (target && !target.disabled) {
    wanted = null;
    place(target, true);
  }
}

/** Focus an element; a control the user is led to is scrolled into view, a restored one is not. */
function place(element, reveal) {
  if (!element) return;
  element.focus({ preventScroll: !reveal });
  placed = element;
}

const FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

/**
 * Keep Tab inside an open modal dialog: past its last control focus wraps to its first, and
 * back. (A native modal dialog makes the page behind it inert but lets Tab leave for the
 * browser's own toolbar, where a keyboard user loses the dialog.)
 */
export function trapFocus(dialog) {
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab" || !dialog.open) return;
    const controls = [...dialog.querySelectorAll(FOCUSABLE)].filter((control) => control.checkVisibility());
    if (!controls.length) return;
    const [first, last] = [controls[0], controls[controls.length - 1]];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });
}
