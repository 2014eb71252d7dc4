// Accounts (admins only): who may use the console or the API, with which role, limited to
// which zones. Managers and integrations can be limited to zones; installers get their
// login with the installer and are listed here only to be seen.

import { get, patch, post } from "/web/api.js";
import { h, replace } from "/web/dom.js";
import { t } from "/web/i18n.js";
import { problemMessage } from "/web/problems.js";
import { toast } from "/web/toast.js";
import { chosenZones, field, openForm, zoneChoice } from "./manage-dialog.js";
import "./manage-strings.js";
import { installerName, store, zoneName } from "./store.js";

const ROLES = ["manager", "admin", "integration"];
const LABELS = { username: "username", password: "password", role: "role", zone_ids: "zone_limit" };
const FRESH_MS = 5000;
let users = null;
let readAt = 0;

export function renderUsers(view) {
  view.append(h("div.view-head", {}, h("h1", {}, t("users_title"))));
  if (store.who?.role !== "admin") {
    view.append(h("p.empty", {}, t("users_admin_only")));
    return;
  }
  const list = h("div.card.table-wrap.manage-table", { id: "user-list" });
  view.querySelector(".view-head").append(h("button.btn", { type: "button", id: "new-user", onclick: () => openUserEditor() }, t("new_user")));
  view.append(list);
  if (users && Date.now() - readAt < FRESH_MS) fill(list);
  else refresh().then(() => fill(list), (error) => replace(list, h("p.form-error", {}, problemMessage(error))));
}

async function refresh() {
  users = (await get("users")).items;
  readAt = Date.now();
}

function fill(list) {
  replace(
    list,
    h(
      "table.user-table",
      {},
      h("thead", {}, h("tr", {}, [t("username"), t("role"), t("user_scope")].map((c) => h("th", { scope: "col" }, c)), h("th.actions", { scope: "col" }, h("span.visually-hidden", {}, t("actions"))))),
      h("tbody", {}, users.map(userRow)),
    ),
  );
}

function userRow(user) {
  const limitable = user.role === "manager" || user.role === "integration";
  const limit =
    user.role === "installer"
      ? t("scope_installer", { name: installerName(user.installer_id) })
      : limitable && user.zone_ids.length
        ? user.zone_ids.map(zoneName).join(", ")
        : t("all_zones");
  return h(
    "tr",
    { dataset: { userId: user.id } },
    h("th", { scope: "row" }, user.username),
    h("td", {}, h(`span.badge.role-${user.role}`, {}, t(`role_${user.role}`))),
    h("td", {}, limit),
    h("td.actions", {}, limitable ? h("button.btn.small.secondary", { type: "button", "data-edit-user": user.id, onclick: () => openUserEditor(user) }, t("edit_zones")) : null),
  );
}

/** A new account (no argument), or the zone limit of an existing manager or integration. */
export function openUserEditor(user = null) {
  const zones = [...store.zones.values()].sort((a, b) => a.name.localeCompare(b.name));
  const fields = user
    ? [zoneChoice("ue-zones", "zone_ids", zones, user.zone_ids, "zone_limit"), h("p.hint.muted", {}, t("zone_limit_hint"))]
    : [
        h(
          "div.grid2",
          {},
          field("ue-username", "username", "username", { autocomplete: "off", autocapitalize: "none" }, "username_hint"),
          field("ue-password", "password", "password", { type: "password", autocomplete: "new-password" }, "password_hint"),
        ),
        h(
          "div.field",
          {},
          h("label", { for: "ue-role" }, t("role")),
          h("select", { id: "ue-role", name: "role" }, ROLES.map((role) => h("option", { value: role }, t(`role_${role}`)))),
        ),
        zoneChoice("ue-zones", "zone_ids", zones, [], "zone_limit"),
        h("p.hint.muted", {}, t("zone_limit_hint")),
      ];
  openForm({
    id: "user-form",
    title: user ? t("edit_user_zones", { name: user.username }) : t("new_user"),
    fields,
    labels: LABELS,
    submitLabel: user ? t("save") : t("create_user"),
    onSubmit: (form) => save(form, user),
  });
}

async function save(form, user) {
  const zoneIds = chosenZones(form, "ue-zones");
  if (user) {
    await patch(`users/${encodeURIComponent(user.id)}`, { zone_ids: zoneIds });
    toast(t("user_saved", { name: user.username }), "ok");
  } else {
    const username = form.querySelector("#ue-username").value.trim();
    const role = form.querySelector("#ue-role").value;
    await post("users", { username, password: form.querySelector("#ue-password").value, role, zone_ids: role === "admin" ? [] : zoneIds });
    toast(t("user_created", { name: username }), "ok");
  }
  await refresh();
  const list = document.getElementById("user-list");
  if (list) fill(list);
}
