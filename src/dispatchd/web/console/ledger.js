// An installer's ledger in a dialog: every entry, the balance, waiving a penalty (a reversal
// booked once; a second waiver is refused and said so) and adjusting the balance with a note.
// Entries are never edited or deleted, only booked.

import { get, post } from "/web/api.js";
import { h, replace } from "/web/dom.js";
import { dateTime, money } from "/web/format.js";
import { t } from "/web/i18n.js";
import { clearProblem, fieldMessage, showProblem } from "/web/problems.js";
import { toast } from "/web/toast.js";
import { close, openPanel } from "./manage-dialog.js";
import { loadInstallers } from "./store.js";

const ADJUST_LABELS = { amount: "adjust_amount", note: "note", reason: "reason" };

/**
 * Open the ledger of an installer; `onClose` runs when the dialog is closed, and `summary()`
 * gives what the page says of the installer above the entries (their rating).
 */
export function openLedger(installer, onClose, summary = () => null) {
  openPanel({
    title: t("ledger_of", { name: installer.name }),
    onClose,
    render: (body) => {
      body.summary = summary;
      return load(body, installer);
    },
  });
}

async function load(body, installer, notice = "") {
  if (!body.childElementCount) replace(body, h("p.muted", {}, t("loading")));
  try {
    const ledger = await get(`installers/${encodeURIComponent(installer.id)}/ledger?limit=500`);
    render(body, installer, ledger);
    if (notice) body.prepend(h("div.form-error", { id: "ledger-notice", role: "alert" }, notice));
  } catch (error) {
    replace(body, h("p.form-error", { role: "alert" }, t("problem_unknown")));
  }
}

function render(body, installer, ledger) {
  const waived = new Set(ledger.items.filter((entry) => entry.reason === "penalty_waived").map((entry) => entry.entry_id));
  replace(
    body,
    body.summary?.(),
    h("p.ledger-balance", {}, `${t("balance")}: `, h(`strong.amount.${ledger.balance < 0 ? "negative" : "positive"}`, { id: "ledger-balance" }, money(ledger.balance))),
    ledger.items.length
      ? h(
          "div.table-scroll",
          {},
          h(
            "table.ledger-table",
            {},
            h("thead", {}, h("tr", {}, [t("at"), t("reason"), t("amount"), t("note"), ""].map((c) => h("th", { scope: "col" }, c)))),
            h("tbody", {}, ledger.items.map((entry) => row(body, installer, entry, waived))),
          ),
        )
      : h("p.muted", {}, t("no_ledger_entries")),
    adjustForm(body, installer),
  );
}

function isPenalty(entry) {
  return entry.amount < 0 && entry.reason.endsWith("_penalty");
}

function row(body, installer, entry, waived) {
  const action = h("td.ledger-action");
  if (isPenalty(entry)) {
    if (waived.has(entry.id)) action.append(h("span.badge", {}, t("waived")));
    else action.append(h("button.btn.small.secondary", { type: "button", "data-waive": entry.id, onclick: () => askWaiver(body, installer, entry, action) }, t("waive")));
  }
  return h(
    "tr",
    { dataset: { entryId: entry.id } },
    h("td.small.nowrap", {}, h("time", { datetime: entry.at }, dateTime(entry.at))),
    h("td", {}, t(`reason_${entry.reason}`), entry.order_id ? [" · ", h("a", { href: `#/orders/${entry.order_id}`, onclick: () => close() }, t("open_order"))] : null),
    h(`td.amount.${entry.amount < 0 ? "negative" : "positive"}`, {}, money(entry.amount)),
    h("td.small", {}, entry.note || ""),
    action,
  );
}

/** The waiver's own small form in the entry's row: an optional note, then confirm. */
function askWaiver(body, installer, entry, cell) {
  const box = h("div.form-error", { role: "alert", hidden: true, tabindex: "-1" });
  const note = h("input", { id: `waive-note-${entry.id}`, name: "note", "aria-label": t("waive_note"), placeholder: t("waive_note") });
  const form = h(
    "form.waive-form",
    { novalidate: true },
    box,
    h("div.field", {}, note),
    h(
      "div.row-actions",
      {},
      h("button.btn.small.secondary", { type: "button", onclick: () => load(body, installer) }, t("cancel")),
      h("button.btn.small", { type: "submit", "data-confirm-waive": entry.id }, t("confirm_waive", { amount: money(-entry.amount) })),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblem(form, box);
    try {
      await post(`installers/${encodeURIComponent(installer.id)}/ledger`, {
        amount: -entry.amount,
        reason: "penalty_waived",
        entry_id: entry.id,
        note: note.value.trim() || null,
      });
      toast(t("penalty_waived_toast", { amount: money(-entry.amount) }), "ok");
      await Promise.all([load(body, installer), loadInstallers()]);
    } catch (error) {
      if (error.status === 409) {
        // Someone waived it meanwhile: show the ledger as it now is, and say why nothing changed.
        const notice = (error.fieldErrors || []).map(fieldMessage).join(" ");
        await load(body, installer, notice || t("problem_conflict"));
      } else {
        showProblem(form, box, error, ADJUST_LABELS);
      }
    }
  });
  replace(cell, form);
  note.focus();
}

function adjustForm(body, installer) {
  const box = h("div.form-error", { id: "adjust-error", role: "alert", hidden: true, tabindex: "-1" });
  const amount = h("input", { id: "adjust-amount", name: "amount", inputmode: "decimal", "aria-describedby": "adjust-amount-hint" });
  const note = h("input", { id: "adjust-note", name: "note" });
  const form = h(
    "form.adjust-form",
    { novalidate: true, id: "adjust-form" },
    h("h3", {}, t("adjust_title")),
    box,
    h(
      "div.grid2",
      {},
      h("div.field", {}, h("label", { for: "adjust-amount" }, t("adjust_amount")), amount, h("span.hint", { id: "adjust-amount-hint" }, t("adjust_amount_hint"))),
      h("div.field", {}, h("label", { for: "adjust-note" }, t("adjust_note")), note),
    ),
    h("div.dialog-actions", {}, h("button.btn", { type: "submit", id: "adjust-submit" }, t("book_adjustment"))),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblem(form, box);
    try {
      await post(`installers/${encodeURIComponent(installer.id)}/ledger`, {
        amount: minorUnits(amount.value),
        reason: "adjustment",
        note: note.value.trim() || null,
      });
      toast(t("adjustment_booked"), "ok");
      await Promise.all([load(body, installer), loadInstallers()]);
    } catch (error) {
      showProblem(form, box, error, ADJUST_LABELS);
    }
  });
  return form;
}

/** "-20.5" yuan → -2050 fen; anything else goes as typed, for the server to name the fault. */
function minorUnits(text) {
  const trimmed = text.trim().replace(",", ".");
  if (/^-?\d+(\.\d{1,2})?$/.test(trimmed)) return Math.round(Number(trimmed) * 100);
  return trimmed;
}
