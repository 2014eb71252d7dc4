// The API's refusals in the user's language, beside the fields they are about.
// A problem+json names each bad field by its dotted path and the kind of fault in `type`
// (with its numbers in `ctx`); the words come from the string tables by that kind, never
// from the server's English `message`, which is kept only as a tooltip for support.

import { ApiError, NetworkError } from "./api.js";
import { has, register, t } from "./i18n.js";

/** The problem's kind ("invalid-input", "conflict") from its type URN. */
export function problemKind(error) {
  if (error instanceof NetworkError) return "network";
  const type = String(error?.problem?.type || "");
  return type.slice(type.lastIndexOf(":") + 1) || (error instanceof ApiError ? `status-${error.status}` : "unknown");
}

/** One field error in words: by its type, with ctx numbers; a generic sentence for a kind we lack. */
export function fieldMessage(fieldError) {
  const key = `pf_${fieldError.type || "invalid"}`;
  return t(has(key) ? key : "pf_invalid", fieldError.ctx || {});
}

/** The whole problem in one sentence, by its kind (used where no field can carry it). */
export function problemMessage(error) {
  const kind = problemKind(error);
  const key = `problem_${kind.replace(/-/g, "_")}`;
  return t(has(key) ? key : "problem_unknown");
}

/**
 * Show an error on a form: each named field gets its message beside it (and aria-invalid,
 * aria-describedby); the box gets the summary and whatever no field of the form shows.
 * Fields are found by `data-field` (the API's path, or a prefix of it) or by `name`.
 *
 * @param {HTMLFormElement} form
 * @param {HTMLElement} box  the form's error box (role=alert)
 * @param {Error} error  an ApiError, NetworkError or anything else thrown
 * @param {Record<string,string>} [labels]  API paths to the form's label keys, for the box
 */
export function showProblem(form, box, error, labels = {}) {
  clearProblem(form, box);
  const unplaced = [];
  for (const fieldError of error?.fieldErrors || []) {
    const control = controlFor(form, fieldError.field);
    if (control) place(control, fieldError);
    else unplaced.push(fieldError);
  }
  const lines = unplaced.map((fieldError) => {
    const label = labelFor(fieldError.field, labels);
    return label ? `${label}: ${fieldMessage(fieldError)}` : fieldMessage(fieldError);
  });
  const placed = (error?.fieldErrors || []).length > unplaced.length;
  const summary = placed ? t("problem_see_fields") : unplaced.length ? "" : problemMessage(error);
  box.replaceChildren(...[summary, ...lines].filter(Boolean).map((line) => Object.assign(document.createElement("div"), { textContent: line })));
  box.title = error?.message || "";
  box.hidden = false;
  const first = form.querySelector("[aria-invalid=true]");
  if (first) first.focus();
  else box.focus?.();
}

/** Remove every message an earlier showProblem put on the form. */
export function clearProblem(form, box) {
  for (const message of form.querySelectorAll(".field-problem")) message.remove();
  for (const control of form.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    const described = (control.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && !id.startsWith("fp-"));
    if (described.length) control.setAttribute("aria-describedby", described.join(" "));
    else control.removeAttribute("aria-describedby");
  }
  if (box) {
    box.hidden = true;
    box.replaceChildren();
  }
}

function controlFor(form, path) {
  const candidates = [...form.querySelectorAll("[data-field], [name]")];
  let best = null;
  let bestLength = -1;
  for (const control of candidates) {
    const name = control.dataset.field || control.getAttribute("name");
    if (!name) continue;
    const matches = path === name || path.startsWith(`${name}.`) || path.startsWith(`${name}[`);
    if (matches && name.length > bestLength) {
      best = control;
      bestLength = name.length;
    }
  }
  return best;
}

let counter = 0;

function place(control, fieldError) {
  const holder = control.closest(".field") || control.parentElement;
  let message = holder.querySelector(":scope > .field-problem");
  if (!message) {
    counter += 1;
    message = document.createElement("span");
    message.className = "error field-problem";
    message.id = `fp-${counter}`;
    holder.append(message);
  }
  message.textContent = message.textContent ? `${message.textContent} ${fieldMessage(fieldError)}` : fieldMessage(fieldError);
  message.title = `${fieldError.field}: ${fieldError.message || ""}`;
  const target = control.matches("fieldset") ? control.querySelector("input, select, textarea") || control : control;
  target.setAttribute("aria-invalid", "true");
  const described = (target.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  if (!described.includes(message.id)) target.setAttribute("aria-describedby", [...described, message.id].join(" "));
}

function labelFor(path, labels) {
  const keys = Object.keys(labels).filter((name) => path === name || path.startsWith(`${name}.`) || path.startsWith(`${name}[`));
  keys.sort((a, b) => b.length - a.length);
  return keys.length ? t(labels[keys[0]]) : "";
}

register({
  en: {
    problem_see_fields: "Please correct the marked fields.",
    problem_invalid_input: "Some of what was entered cannot be accepted.",
    problem_conflict: "This clashes with what is stored now; reload and try again.",
    problem_state_conflict: "This can no longer be done in the current state; reload to see it.",
    problem_not_found: "This no longer exists, or you may not see it.",
    problem_not_allowed: "Your account is not allowed to do this.",
    problem_unauthenticated: "Your session has ended; log in again.",
    problem_csrf: "The page is out of date; reload it and try again.",
    problem_rate_limited: "Too many attempts; wait a minute and try again.",
    problem_too_large: "This is too large to send.",
    problem_too_deep: "This is nested too deeply to send.",
    problem_malformed_json: "The page sent something the server cannot read; reload it.",
    problem_unsupported_media_type: "The server cannot read this kind of content.",
    problem_database_unavailable: "The database did not answer; try again in a moment.",
    problem_network: "The server cannot be reached. Check the connection and try again.",
    problem_unknown: "The server refused this. Try again, or reload the page.",
    pf_invalid: "This value is not accepted.",
    pf_missing: "Required.",
    pf_extra_forbidden: "Not a known field.",
    pf_string_too_short: "Enter at least {min_length} character(s).",
    pf_string_too_long: "Enter at most {max_length} characters.",
    pf_string_pattern_mismatch: "Contains characters that are not allowed.",
    pf_string_type: "Enter text.",
    pf_string_length: "Use {min_length} to {max_length} characters.",
    pf_greater_than_equal: "Must be at least {ge}.",
    pf_greater_than: "Must be more than {gt}.",
    pf_less_than_equal: "Must be at most {le}.",
    pf_less_than: "Must be less than {lt}.",
    pf_int_parsing: "Enter a whole number.",
    pf_int_type: "Enter a whole number.",
    pf_int_from_float: "Enter a whole number.",
    pf_float_parsing: "Enter a number.",
    pf_float_type: "Enter a number.",
    pf_finite_number: "Enter a finite number.",
    pf_bool_type: "Choose yes or no.",
    pf_too_short: "Choose at least {min_length}.",
    pf_too_long: "Choose at most {max_length}.",
    pf_unique_items: "Name each one only once.",
    pf_list_type: "Choose from the list.",
    pf_literal_error: "Choose one of the offered values.",
    pf_value_error: "This value is not accepted.",
    pf_json_invalid: "Not valid JSON.",
    pf_not_utf8: "Not readable text.",
    pf_too_deep: "Nested too deeply.",
    pf_phone_invalid: "Not a phone number; write it like +8613800138000.",
    pf_unknown_zone: "Unknown zone: {zones}.",
    pf_username_taken: "This username is taken; choose another.",
    pf_role_not_limitable: "This role cannot be limited to zones.",
    pf_amount_range: "Enter a non-zero amount.",
    pf_note_required: "Say why.",
    pf_not_a_penalty: "Only a penalty can be waived.",
    pf_waiver_amount: "A waiver reverses the penalty exactly.",
    pf_already_waived: "This penalty has already been waived.",
    pf_wrong_service_code: "The service code does not match.",
    pf_geojson_object: "Paste a GeoJSON Polygon or MultiPolygon.",
    pf_geojson_type: "The type must be Polygon or MultiPolygon.",
    pf_array_empty: "A part of the shape is empty.",
    pf_position_shape: "Each point must be [longitude, latitude].",
    pf_longitude_range: "A longitude must lie between -{limit} and {limit}.",
    pf_latitude_range: "A latitude must lie between -{limit} and {limit}.",
    pf_altitude: "A third number (altitude) must be finite.",
    pf_ring_not_closed: "The outline is not closed: repeat the first point at the end.",
    pf_ring_too_short: "An outline needs at least 3 corners.",
    pf_too_many_positions: "Too many points (at most {max}); simplify the shape.",
    pf_invalid_geometry: "The outline crosses itself or overlaps ({reason}).",
    pf_boundary_invalid: "The shape is not a valid zone boundary.",
    pf_ladder_empty: "Add at least one step; the last must be a revoke.",
    pf_too_many_steps: "At most {max} steps.",
    pf_seconds_range: "Enter {min} to {max} seconds.",
    pf_later_step_seconds: "Enter {min} to {max} seconds: only the first step may run at once.",
    pf_penalty_amount: "A penalty step needs an amount above zero.",
    pf_ladder_revoke_last: "The ladder must end with exactly one revoke step, and have no revoke before the end.",
    pf_reassign_last: "Reassign ends the ladder: it may only be the last step.",
    pf_number_range: "Enter a number from {min} to {max}.",
    pf_cursor_malformed: "This page link is out of date; start again from the first page.",
    pf_idempotency_key_malformed: "The page sent a bad request key; reload it and try again.",
    pf_idempotency_key_reused: "This request was already sent with other content; reload and try again.",
    pf_event_id_invalid: "The live updates lost their place; reload the page.",
    pf_fix_or_points: "Send one position or a list of points, not both.",
    pf_endpoint_refused: "This browser's push service cannot be used; turn notifications off and on again.",
    pf_push_key_invalid: "The browser's notification key is not usable; turn notifications off and on again.",
    pf_window_in_past: "This time has already passed; choose a window that starts later.",
    pf_window_end_before_start: "The window must end after it starts.",
    pf_window_too_long: "The window would be {hours} h long; make it at most {max_hours} h.",
    pf_move_reason_required: "Say why the window moves; the customer will be told.",
    pf_until_in_past: "This moment has already passed; leave it empty or choose a later one.",
    pf_until_too_far: "At most {days} days ahead; leave it empty and resume the job by hand, or choose an earlier moment.",
    pf_service_code_digits: "Enter the customer's {digits}-digit code.",
    pf_service_code_locked: "Locked after {attempts} wrong codes; complete without it and a manager will call the customer.",
    pf_stars_range: "Choose {min} to {max} stars.",
    pf_fix_in_future: "This position is dated in the future; check the phone's clock.",
    pf_fix_too_old: "This position is more than a day old; send a fresh one.",
    pf_cannot_empty: "This cannot be emptied; leave it as it is to keep it.",
    pf_hand_back_reason_required: "Say why you hand the job back, so the dispatcher can act on it.",
    pf_reschedule_reason_required: "Say why the visit should move.",
    pf_time_zone_missing: "Give the time with its time zone.",
    pf_time_in_past: "Choose a time in the future.",
    pf_time_too_far: "Choose a time within the next {days} days.",
    pf_unknown_promise: "Not a known promise; choose from {choices}.",
    pf_template_empty: "Write the message's words; it must not be empty.",
    pf_control_characters: "Remove control characters; only line breaks are allowed.",
    pf_dollar_sign: "A $ must start a placeholder like ${product}; write $$ for a dollar sign.",
    pf_unknown_placeholder: "Unknown placeholder(s) {placeholders}; this message may use {allowed}.",
    pf_placeholder_required: "Keep {placeholders} in this message.",
  },
  "zh-CN": {
    problem_see_fields: "请更正标出的字段。",
    problem_invalid_input: "填写的内容有误，无法接受。",
    problem_conflict: "与当前保存的数据冲突，请刷新后重试。",
    problem_state_conflict: "当前状态下已无法进行此操作，请刷新查看。",
    problem_not_found: "该项不存在，或您无权查看。",
    problem_not_allowed: "您的账号无权执行此操作。",
    problem_unauthenticated: "登录已过期，请重新登录。",
    problem_csrf: "页面已过期，请刷新后重试。",
    problem_rate_limited: "尝试次数过多，请稍等一分钟再试。",
    problem_too_large: "内容太大，无法发送。",
    problem_too_deep: "内容嵌套太深，无法发送。",
    problem_malformed_json: "页面发送的内容服务器无法读取，请刷新页面。",
    problem_unsupported_media_type: "服务器无法读取此类内容。",
    problem_database_unavailable: "数据库暂时没有响应，请稍后重试。",
    problem_network: "无法连接服务器，请检查网络后重试。",
    problem_unknown: "服务器拒绝了此操作，请重试或刷新页面。",
    pf_invalid: "此值不被接受。",
    pf_missing: "必填。",
    pf_extra_forbidden: "不是已知的字段。",
    pf_string_too_short: "至少填写 {min_length} 个字符。",
    pf_string_too_long: "最多填写 {max_length} 个字符。",
    pf_string_pattern_mismatch: "包含不允许的字符。",
    pf_string_type: "请填写文字。",
    pf_string_length: "长度须为 {min_length} 到 {max_length} 个字符。",
    pf_greater_than_equal: "不能小于 {ge}。",
    pf_greater_than: "必须大于 {gt}。",
    pf_less_than_equal: "不能大于 {le}。",
    pf_less_than: "必须小于 {lt}。",
    pf_int_parsing: "请填写整数。",
    pf_int_type: "请填写整数。",
    pf_int_from_float: "请填写整数。",
    pf_float_parsing: "请填写数字。",
    pf_float_type: "请填写数字。",
    pf_finite_number: "请填写有限的数字。",
    pf_bool_type: "请选择是或否。",
    pf_too_short: "至少选择 {min_length} 项。",
    pf_too_long: "最多选择 {max_length} 项。",
    pf_unique_items: "每项只能出现一次。",
    pf_list_type: "请从列表中选择。",
    pf_literal_error: "请选择给出的选项之一。",
    pf_value_error: "此值不被接受。",
    pf_json_invalid: "不是有效的 JSON。",
    pf_not_utf8: "不是可读的文字。",
    pf_too_deep: "嵌套太深。",
    pf_phone_invalid: "不是有效的电话号码，请按 +8613800138000 的格式填写。",
    pf_unknown_zone: "未知的区域：{zones}。",
    pf_username_taken: "此用户名已被占用，请换一个。",
    pf_role_not_limitable: "此角色不能限定区域。",
    pf_amount_range: "请填写不为零的金额。",
    pf_note_required: "请说明原因。",
    pf_not_a_penalty: "只有罚款可以免除。",
    pf_waiver_amount: "免除金额必须与罚款金额相等、方向相反。",
    pf_already_waived: "这笔罚款已经免除过了。",
    pf_wrong_service_code: "服务码不正确。",
    pf_geojson_object: "请粘贴 GeoJSON 的 Polygon 或 MultiPolygon。",
    pf_geojson_type: "类型必须是 Polygon 或 MultiPolygon。",
    pf_array_empty: "图形中有一部分是空的。",
    pf_position_shape: "每个点必须是 [经度, 纬度]。",
    pf_longitude_range: "经度必须在 -{limit} 到 {limit} 之间。",
    pf_latitude_range: "纬度必须在 -{limit} 到 {limit} 之间。",
    pf_altitude: "第三个数（海拔）必须是有限的数字。",
    pf_ring_not_closed: "边界没有闭合：请在末尾重复第一个点。",
    pf_ring_too_short: "边界至少需要 3 个角。",
    pf_too_many_positions: "点太多（最多 {max} 个），请简化图形。",
    pf_invalid_geometry: "边界自相交或重叠（{reason}）。",
    pf_boundary_invalid: "该图形不是有效的区域边界。",
    pf_ladder_empty: "至少添加一个步骤，最后一步必须是撤回。",
    pf_too_many_steps: "最多 {max} 个步骤。",
    pf_seconds_range: "请填写 {min} 到 {max} 秒。",
    pf_later_step_seconds: "请填写 {min} 到 {max} 秒：只有第一步可以立即执行。",
    pf_penalty_amount: "扣款步骤需要大于零的金额。",
    pf_ladder_revoke_last: "阶梯必须以且仅以一个撤回步骤结束，之前不能有撤回。",
    pf_reassign_last: "改派会结束阶梯：只能作为最后一步。",
    pf_number_range: "请填写 {min} 到 {max} 之间的数字。",
    pf_cursor_malformed: "分页链接已失效，请从第一页重新开始。",
    pf_idempotency_key_malformed: "页面发送的请求标识有误，请刷新后重试。",
    pf_idempotency_key_reused: "此请求已用不同的内容发送过，请刷新后重试。",
    pf_event_id_invalid: "实时更新已中断，请刷新页面。",
    pf_fix_or_points: "请只发送一个位置或一组位置点，不要同时发送。",
    pf_endpoint_refused: "无法使用此浏览器的推送服务，请关闭通知后重新开启。",
    pf_push_key_invalid: "浏览器的通知密钥无法使用，请关闭通知后重新开启。",
    pf_window_in_past: "这个时间已经过去，请选择稍后开始的时段。",
    pf_window_end_before_start: "结束时间必须晚于开始时间。",
    pf_window_too_long: "时段长达 {hours} 小时，最长只能 {max_hours} 小时。",
    pf_move_reason_required: "请说明改期的原因，客户会收到通知。",
    pf_until_in_past: "这个时间已经过去，请留空或选择更晚的时间。",
    pf_until_too_far: "最多只能延后 {days} 天；请留空并手动恢复工单，或选择更早的时间。",
    pf_service_code_digits: "请输入客户的 {digits} 位服务码。",
    pf_service_code_locked: "服务码已输错 {attempts} 次而被锁定；请不填服务码直接完工，主管会致电客户。",
    pf_stars_range: "请选择 {min} 到 {max} 颗星。",
    pf_fix_in_future: "此位置的时间晚于现在，请检查手机时钟。",
    pf_fix_too_old: "此位置已超过一天，请发送最新位置。",
    pf_cannot_empty: "此项不能清空；如要保留，请不要修改。",
    pf_hand_back_reason_required: "请说明退回工单的原因，以便调度员处理。",
    pf_reschedule_reason_required: "请说明需要改期的原因。",
    pf_time_zone_missing: "请填写带时区的时间。",
    pf_time_in_past: "请选择将来的时间。",
    pf_time_too_far: "请选择今后 {days} 天内的时间。",
    pf_unknown_promise: "不是已知的承诺，请从 {choices} 中选择。",
    pf_template_empty: "请填写消息内容，不能为空。",
    pf_control_characters: "请删除控制字符，只允许换行。",
    pf_dollar_sign: "$ 只能用于占位符（如 ${product}）；如需美元符号请写 $$。",
    pf_unknown_placeholder: "未知的占位符 {placeholders}；此消息可用 {allowed}。",
    pf_placeholder_required: "此消息中必须保留 {placeholders}。",
  },
});
