// Times on the tracking page are the deployment's wall clock, not the phone's: the customer
// agreed "14:00" with an installer in the same city, and a phone set to another zone (or a
// traveller's) must not turn that into 06:00. The zone comes from the server with the page.

import { language } from "/web/i18n.js";

let timeZone = "UTC";

export function setTimeZone(zone) {
  timeZone = zone || "UTC";
}

function format(iso, options) {
  return new Intl.DateTimeFormat(language(), { timeZone, ...options }).format(new Date(iso));
}

/** "14:00" on the deployment's clock. */
export function clock(iso) {
  return format(iso, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}

/** "Thu, 3 Dec" / "12月3日周四": the day a window falls on. */
export function day(iso) {
  return format(iso, { weekday: "short", month: "short", day: "numeric" });
}

/** A step's moment, short: "3 Dec, 14:05". */
export function moment(iso) {
  return format(iso, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}

/** The zone's name in the page's language ("China Standard Time", "中国标准时间"). */
export function zoneName(at = new Date()) {
  const parts = new Intl.DateTimeFormat(language(), { timeZone, timeZoneName: "long" }).formatToParts(at);
  return parts.find((part) => part.type === "timeZoneName")?.value || timeZone;
}

/** How far the zone's wall clock is ahead of UTC at a moment, in milliseconds. */
function offsetAt(utcMs) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(new Date(utcMs))
      .map((part) => [part.type, part.value]),
  );
  const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return wall - utcMs;
}

/**
 * The UTC moment (RFC 3339) of a wall-clock time typed in a datetime-local field
 * ("2026-12-03T14:00"), read on the deployment's clock; null if it is no such time.
 */
export function wallClockToUtc(value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value || "");
  if (!match) return null;
  const [, y, mo, d, hh, mm] = match.map(Number);
  const wall = Date.UTC(y, mo - 1, d, hh, mm);
  let utc = wall - offsetAt(wall);
  utc = wall - offsetAt(utc);
  return new Date(utc).toISOString();
}

/** The datetime-local value of a UTC moment on the deployment's clock (the field's minimum). */
export function utcToWallClock(iso) {
  const utc = new Date(iso).getTime();
  return new Date(utc + offsetAt(utc)).toISOString().slice(0, 16);
}
