// Creating and editing an installer: name, phone, zones, capacity, skills, duty, and on
// creation the login they use on their phone. The server validates; its refusals show
// beside the fields in the user's language.

import { patch, post } from "/web/api.js";
import { h } from "/web/dom.js";
import { t } from "/web/i18n.js";
import { toast } from "/web/toast.js";
import { chosenZones, field, openForm, zoneChoice } from "./manage-dialog.js";
import { loadInstallers, store } from "./store.js";

const LABELS = {
  name: "name",
  phone: "phone",
  zone_ids: "zones",
  capacity: "capacity",
  skills: "inst_skills",
  on_duty: "duty",
  username: "username",
  password: "password",
};

/** Open the editor for a new installer (no argument) or an existing one. */
export function openInstallerEditor(installer = null) {
  const zones = [...store.zones.values()].sort((a, b) => a.name.localeCompare(b.name));
  const creating = !installer;
  const fields = [
    h(
      "div.grid2",
      {},
      field("ie-name", "name", "name", { value: installer?.name || "", autocomplete: "off" }),
      field("ie-phone", "phone", "phone", { value: installer?.phone || "", type: "tel" }),
    ),
    zoneChoice("ie-zones", "zone_ids", zones, installer?.zone_ids || (zones.length === 1 ? [zones[0].id] : []), "zones"),
    h(
      "div.grid2",
      {},
      field("ie-capacity", "capacity", "capacity", { value: String(installer?.capacity ?? 3), inputmode: "numeric" }, "capacity_hint"),
      field("ie-skills", "inst_skills", "skills", { value: (installer?.skills || []).join(", ") }, "skills_hint"),
    ),
    creating
      ? h(
          "div.grid2",
          {},
          field("ie-username", "username", "username", { autocomplete: "off", autocapitalize: "none" }, "username_hint"),
          field("ie-password", "password", "password", { type: "password", autocomplete: "new-password" }, "password_hint"),
        )
      : h(
          "div.field",
          { "data-field": "on_duty" },
          h("label.check", {}, h("input", { id: "ie-on-duty", type: "checkbox", name: "on_duty", checked: installer.on_duty }), ` ${t("on_duty")}`),
        ),
  ];
  openForm({
    id: "installer-form",
    title: creating ? t("new_installer") : t("edit_installer", { name: installer.name }),
    fields,
    labels: LABELS,
    submitLabel: creating ? t("create_installer") : t("save"),
    onSubmit: (form) => save(form, installer),
  });
}

async function save(form, installer) {
  const value = (id) => form.querySelector(`#${id}`).value.trim();
  const capacity = value("ie-capacity");
  const body = {
    name: value("ie-name"),
    phone: value("ie-phone"),
    zone_ids: chosenZones(form, "ie-zones"),
    capacity: /^-?\d+$/.test(capacity) ? Number(capacity) : capacity,
    skills: value("ie-skills")
      .split(/[,，]/)
      .map((skill) => skill.trim())
      .filter(Boolean),
  };
  if (installer) {
    body.on_duty = form.querySelector("#ie-on-duty").checked;
    await patch(`installers/${encodeURIComponent(installer.id)}`, body);
    toast(t("installer_saved", { name: body.name }), "ok");
  } else {
    body.username = value("ie-username");
    body.password = form.querySelector("#ie-password").value;
    await post("installers", body);
    toast(t("installer_created", { name: body.name }), "ok");
  }
  await loadInstallers();
}
