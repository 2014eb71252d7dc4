// Manual assignment: the server's ranked candidate list, and an "Offer" button on every row.
// On a job someone holds it is a reassignment: it needs a reason and a confirmation naming the
// installer who loses the job, since their phone drops it at once. An offer that withdraws a
// live one, or goes to an installer the rules would not choose, takes a second click.
//
// The list lives through the event stream: rows are kept by installer and only the cells whose
// words changed are rewritten, so a button under the pointer (and its pending confirmation)
// stays the same element; while the pointer is over the list or a confirmation waits, rows
// keep their places and newcomers go to the end.

import { get, post } from "/web/api.js";
import { h, replace } from "/web/dom.js";
import { focusWhenShown } from "/web/focus.js";
import { distance } from "/web/format.js";
import { t } from "/web/i18n.js";
import { fieldMessage, problemMessage } from "/web/problems.js";
import { toast } from "/web/toast.js";
import { installerName, loadOrder, zoneName } from "./store.js";

const cache = new Map(); // order id -> {version, items}
export const HELD = ["accepted", "suspended", "in_progress"];
// The reassignment waiting for its confirmation, and the refusal of the last one.
let pending = null;
let refusal = null;
const reasons = new Map(); // order id -> the reason typed so far
// The offer button waiting for its second click: {orderId, installerId}.
let confirming = null;
const boxes = new WeakMap(); // candidates box -> its state

export function renderCandidates(order) {
  const box = h("div.candidates", { "aria-live": "polite" });
  const state = { order, items: null, rows: new Map(), tbody: null, controls: null, controlsSig: "", asked: "", hovered: false };
  boxes.set(box, state);
  box.addEventListener("pointerenter", () => (state.hovered = true));
  box.addEventListener("pointerleave", () => {
    state.hovered = false;
    if (state.items && !isConfirming(state)) fill(box, state);
  });
  updateCandidates(box, order);
  return box;
}

/** Bring a list already shown up to date with the order; a new version is fetched first. */
export function updateCandidates(box, order) {
  const state = boxes.get(box);
  if (!state) return;
  state.order = order;
  const version = `${order.status}|${order.attempts}|${order.current_offer?.id || ""}|${order.installer_id || ""}`;
  const known = cache.get(order.id);
  if (known && known.version === version && known.items) {
    state.items = known.items;
    fill(box, state);
    return;
  }
  if (state.asked === version) return;
  state.asked = version;
  if (!state.items) replace(box, h("p.muted", {}, t("loading")));
  get(`orders/${encodeURIComponent(order.id)}/candidates?limit=30`)
    .then(({ items }) => {
      cache.set(order.id, { version, items });
      if (state.asked !== version) return;
      state.items = items;
      fill(box, state);
    })
    .catch((error) => {
      if (state.asked === version) state.asked = "";
      if (!state.items) replace(box, h("p.form-error", { title: error.message }, problemMessage(error)));
    });
}

function isConfirming(state) {
  return confirming?.orderId === state.order.id;
}

function fill(box, state) {
  const { order, items } = state;
  const held = HELD.includes(order.status);
  if (!state.tbody) {
    state.tbody = h("tbody");
    state.controls = h("div.reassign-slot");
    const heads = [t("rank"), t("installer"), t("distance"), t("load"), t("in_zone"), t("why_not"), ""];
    replace(
      box,
      state.controls,
      h("div.table-scroll", {}, h("table.candidate-table", {}, h("thead", {}, h("tr", {}, heads.map((c) => h("th", { scope: "col" }, c)))), state.tbody)),
    );
  }
  const controlsSig = held ? `${order.id}|${installerName(order.installer_id)}|${JSON.stringify(pending)}|${JSON.stringify(refusal)}` : "";
  if (controlsSig !== state.controlsSig) {
    state.controlsSig = controlsSig;
    replace(state.controls, held ? reassignControls(box, state) : null);
  }
  const ranks = new Map(items.map((candidate, index) => [candidate.installer_id, index + 1]));
  const shown = [...state.rows.keys()];
  const keep = state.hovered || isConfirming(state) || state.tbody.contains(document.activeElement);
  const ids = keep
    ? [...shown.filter((id) => ranks.has(id)), ...items.map((c) => c.installer_id).filter((id) => !state.rows.has(id))]
    : items.map((c) => c.installer_id);
  for (const id of shown) {
    if (!ranks.has(id)) {
      state.rows.get(id).tr.remove();
      state.rows.delete(id);
    }
  }
  if (confirming && isConfirming(state) && !ranks.has(confirming.installerId)) confirming = null;
  let previous = null;
  for (const id of ids) {
    const candidate = items[ranks.get(id) - 1];
    let row = state.rows.get(id);
    if (!row) {
      row = newRow(box, state, id);
      state.rows.set(id, row);
    }
    row.candidate = candidate;
    updateRow(box, state, row, ranks.get(id));
    const place = previous ? previous.nextSibling : state.tbody.firstChild;
    if (place !== row.tr) state.tbody.insertBefore(row.tr, place);
    placeNote(row);
    previous = row.noteWanted ? row.note : row.tr;
  }
}

function newRow(box, state, installerId) {
  const cells = {
    rank: h("td"),
    name: h("th", { scope: "row" }),
    distance: h("td"),
    load: h("td"),
    zone: h("td"),
    reasons: h("td.reasons"),
    action: h("td"),
  };
  const tr = h("tr", { dataset: { installerId } }, Object.values(cells));
  const note = h("tr.confirm-note", {}, h("td", { colspan: "7", id: `offer-note-${installerId}`, role: "alert" }));
  return { tr, note, cells, signs: {}, candidate: null, installerId, button: null, noteWanted: false };
}

/** The confirmation's note sits right under its row, or nowhere. */
function placeNote(row) {
  if (!row.noteWanted) row.note.remove();
  else if (row.tr.parentNode && row.tr.nextSibling !== row.note) row.tr.after(row.note);
}

/** Write a cell only when what it says changed: an unchanged cell keeps its nodes. */
function setCell(row, name, sign, build) {
  if (row.signs[name] === sign) return;
  row.signs[name] = sign;
  replace(row.cells[name], build());
}

function updateRow(box, state, row, rank) {
  const { order } = state;
  const candidate = row.candidate;
  const held = HELD.includes(order.status);
  const holder = held ? order.installer_id : order.current_offer?.installer_id;
  const rowClass = candidate.eligible ? "eligible" : "ineligible";
  if (row.tr.className !== rowClass) row.tr.className = rowClass;
  setCell(row, "rank", String(rank), () => String(rank));
  setCell(row, "name", `${candidate.name}|${candidate.on_duty}`, () => [
    candidate.name,
    candidate.on_duty ? null : h("span.muted", {}, ` · ${t("off_duty")}`),
  ]);
  setCell(row, "distance", String(candidate.distance_m), () => distance(candidate.distance_m));
  setCell(row, "load", `${candidate.active_jobs}/${candidate.capacity}`, () => `${candidate.active_jobs}/${candidate.capacity}`);
  const zones = candidate.zone_ids.map(zoneName).join(", ");
  if (row.cells.zone.title !== zones) row.cells.zone.title = zones;
  setCell(row, "zone", String(candidate.serves_order_zone), () => (candidate.serves_order_zone ? "✓" : "✗"));
  const why = whyNot(candidate);
  setCell(row, "reasons", candidate.eligible ? "" : why, () => (candidate.eligible ? h("span.badge.ok", {}, t("eligible")) : why));
  const kind = candidate.installer_id === holder ? (held ? "holds" : "offered") : held ? "reassign" : "offer";
  setCell(row, "action", kind, () => {
    row.button = null;
    if (kind === "holds") return h("span.badge.accepted", {}, t("holds_job"));
    if (kind === "offered") return h("span.badge.offered", {}, t("offer_sent"));
    if (kind === "reassign") return reassignButton(box, state, row);
    row.button = offerButton(state, row);
    return row.button;
  });
  if (row.button) {
    const buttonClass = `btn small ${candidate.eligible ? "assign" : "secondary assign"}`;
    if (row.button.className !== buttonClass) row.button.className = buttonClass;
    showConfirm(state, row);
  } else {
    if (confirming?.orderId === order.id && confirming.installerId === row.installerId) confirming = null;
    row.noteWanted = false;
    placeNote(row);
  }
}

/** What an offer to this candidate would take from someone or break, or [] when nothing. */
function offerWarnings(order, candidate) {
  const warnings = [];
  const live = order.current_offer;
  if (live && live.installer_id !== candidate.installer_id) {
    warnings.push(t("offer_withdraws", { from: installerName(live.installer_id), to: candidate.name }));
  }
  if (!candidate.eligible) warnings.push(t("offer_breaks_rules", { name: candidate.name, why: whyNot(candidate) }));
  return warnings;
}

// The server says why an installer would not be chosen in fixed English phrases; these are
// the user's words for them (a phrase not known here is shown as the server wrote it).
const WHY_NOT = {
  "off duty": "why_off_duty",
  "outside their zones": "why_outside_zones",
  "at capacity": "why_at_capacity",
  "already let this order lapse or declined it": "why_declined",
};

function whyNot(candidate) {
  return candidate.why_not
    .map((reason) => {
      if (WHY_NOT[reason]) return t(WHY_NOT[reason]);
      if (reason.startsWith("lacks skills: ")) return t("why_lacks_skills", { skills: reason.slice(14) });
      return reason;
    })
    .join(t("list_gap"));
}

/** The button's words and the note under its row, for whether it waits for its second click. */
function showConfirm(state, row) {
  const button = row.button;
  const asking = confirming?.orderId === state.order.id && confirming.installerId === row.installerId;
  const warnings = asking ? offerWarnings(state.order, row.candidate) : [];
  if (asking && !warnings.length) confirming = null;
  const on = asking && warnings.length > 0;
  const words = on ? (row.candidate.eligible ? t("offer_withdraw_yes") : t("offer_anyway")) : t("offer_to");
  if (button.textContent !== words) button.textContent = words;
  if (on) {
    button.dataset.confirm = "1";
    button.setAttribute("aria-describedby", `offer-note-${row.installerId}`);
    const text = [...warnings, t("offer_confirm_hint")].join(t("sentence_gap"));
    const cell = row.note.firstChild;
    if (cell.textContent !== text) cell.textContent = text;
  } else {
    delete button.dataset.confirm;
    button.removeAttribute("aria-describedby");
  }
  row.noteWanted = on;
  placeNote(row);
}

function offerButton(state, row) {
  const button = h("button", {
    type: "button",
    "data-focus-key": `assign-${row.installerId}`,
    onclick: async () => {
      const order = state.order;
      const candidate = row.candidate;
      const asked = confirming?.orderId === order.id && confirming.installerId === row.installerId;
      if (!asked && offerWarnings(order, candidate).length) {
        confirming = { orderId: order.id, installerId: row.installerId };
        showConfirm(state, row);
        return;
      }
      confirming = null;
      showConfirm(state, row);
      button.disabled = true;
      try {
        await post(`orders/${encodeURIComponent(order.id)}/assign`, { installer_id: candidate.installer_id });
        toast(t("assigned", { name: candidate.name }), "ok");
        focusWhenShown("assign-title");
        cache.delete(order.id);
        await loadOrder(order.id);
      } catch (error) {
        toast(problemMessage(error), "danger");
      } finally {
        button.disabled = false;
      }
    },
  });
  return button;
}

/** Drop a waiting second click (the dispatcher clicked elsewhere or pressed Escape). */
function dropConfirmation() {
  if (!confirming) return;
  const waiting = document.querySelector("#view .candidate-table button[data-confirm='1']");
  confirming = null;
  const box = waiting?.closest(".candidates");
  const state = box && boxes.get(box);
  if (state) for (const row of state.rows.values()) if (row.button) showConfirm(state, row);
}

// On the click, not the press: the note leaving must not move what is being clicked.
document.addEventListener(
  "click",
  (event) => {
    if (confirming && !event.target.closest?.("button[data-confirm='1']")) dropConfirmation();
  },
  true,
);
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  if (confirming) dropConfirmation();
  if (pending) {
    const box = document.querySelector("#view .candidates");
    const state = box && boxes.get(box);
    const back = pending.installerId;
    pending = null;
    if (state?.items) {
      focusWhenShown(`assign-${back}`);
      fill(box, state);
    }
  }
});

/** The reason field (kept across redraws by its id) and, once a row was chosen, the confirmation. */
function reassignControls(box, state) {
  const order = state.order;
  if (pending && pending.orderId !== order.id) pending = null;
  if (refusal && refusal.orderId !== order.id) refusal = null;
  const errors = (refusal?.errors || []).filter((error) => error.field === "reason");
  const holder = installerName(order.installer_id);
  return h(
    "div.reassign",
    {},
    refusal && !errors.length ? h("p.form-error", { role: "alert", title: refusal.english || "" }, refusal.text) : null,
    h(
      "div.field",
      {},
      h("label", { for: "reassign-reason" }, t("reassign_reason", { name: holder })),
      h("input", {
        id: "reassign-reason",
        name: "reason",
        maxlength: "2000",
        value: reasons.get(order.id) || "",
        oninput: (event) => reasons.set(order.id, event.target.value),
        "aria-invalid": errors.length ? "true" : null,
        "aria-describedby": errors.length ? "reassign-reason-error" : null,
      }),
      errors.length
        ? h("span.error", { id: "reassign-reason-error", role: "alert" }, errors.map((error) => error.text).join(" "))
        : null,
    ),
    pending
      ? h(
          "div.reassign-confirm",
          { role: "alert" },
          h("p", {}, t("reassign_confirm", { from: holder, to: pending.name })),
          h(
            "div.actions",
            {},
            h(
              "button.btn.danger.confirm-reassign",
              { type: "button", "data-focus-key": "confirm-reassign", onclick: () => reassign(box, state) },
              t("reassign_yes", { name: holder }),
            ),
            h(
              "button.btn.secondary",
              {
                type: "button",
                "data-focus-key": "keep-holder",
                onclick: () => {
                  const back = pending.installerId;
                  pending = null;
                  focusWhenShown(`assign-${back}`);
                  fill(box, state);
                },
              },
              t("reassign_no"),
            ),
          ),
        )
      : null,
  );
}

function reassignButton(box, state, row) {
  return h(
    "button.btn.small.secondary.assign.reassign",
    {
      type: "button",
      "data-focus-key": `assign-${row.installerId}`,
      onclick: () => {
        const order = state.order;
        const reason = document.getElementById("reassign-reason")?.value.trim() || "";
        if (!reason) {
          pending = null;
          refusal = { orderId: order.id, errors: [{ field: "reason", text: t("reassign_reason_needed") }] };
          fill(box, state);
          document.getElementById("reassign-reason")?.focus();
          return;
        }
        refusal = null;
        pending = { orderId: order.id, installerId: row.installerId, name: row.candidate.name, reason };
        focusWhenShown("confirm-reassign");
        fill(box, state);
      },
    },
    t("reassign_to"),
  );
}

async function reassign(box, state) {
  const chosen = pending;
  const order = state.order;
  try {
    await post(`orders/${encodeURIComponent(order.id)}/assign`, { installer_id: chosen.installerId, reason: chosen.reason });
    pending = null;
    refusal = null;
    reasons.delete(order.id);
    toast(t("reassigned", { from: installerName(order.installer_id), to: chosen.name }), "ok");
    focusWhenShown("assign-title");
    cache.delete(order.id);
    await loadOrder(order.id);
  } catch (error) {
    pending = null;
    const errors = (error.fieldErrors || []).map((item) => ({ field: item.field, text: fieldMessage(item) }));
    refusal = { orderId: order.id, errors, text: problemMessage(error), english: error.message };
    fill(box, state);
    if (!errors.some((item) => item.field === "reason")) toast(problemMessage(error), "danger");
    else document.getElementById("reassign-reason")?.focus();
  }
}
