// Numbers, money, times and durations in the page's language.
import { language, t } from "./i18n.js";

let currency = "CNY";
let serverOffsetMs = 0;

// Building an Intl formatter costs a thousand times its use, and a console formats the times of
// hundreds of rows on every event: each formatter is built once per language and options.
const formatters = new Map();

function dateFormat(options) {
  return cached("date", options, () => new Intl.DateTimeFormat(language(), options));
}

function numberFormat(options) {
  return cached("number", options, () => new Intl.NumberFormat(language(), options));
}

function cached(kind, options, build) {
  const key = `${kind} ${language()} ${JSON.stringify(options)}`;
  let made = formatters.get(key);
  if (!made) formatters.set(key, (made = build()));
  return made;
}

const HOUR_MINUTE = { hour: "2-digit", minute: "2-digit" };

export function setCurrency(code) {
  currency = code || "CNY";
}

/** Money is stored in minor units (fen, cents). */
export function money(minor) {
  const value = Number(minor || 0) / 100;
  return numberFormat({ style: "currency", currency }).format(value);
}

/** Money in few characters, for a chart's axis: "¥1.2K", "$300". */
export function moneyShort(minor) {
  const value = Number(minor || 0) / 100;
  return numberFormat({ style: "currency", currency, notation: "compact", maximumFractionDigits: 1 }).format(value);
}

export function time(iso) {
  if (!iso) return "";
  return dateFormat({ ...HOUR_MINUTE, second: "2-digit" }).format(new Date(iso));
}

export function dateTime(iso) {
  if (!iso) return "";
  return dateFormat({ month: "short", day: "numeric", ...HOUR_MINUTE, second: "2-digit" }).format(new Date(iso));
}

/** "09:20" today, "11/24 09:20" on another day: compact, for cards and lists. */
export function shortTime(iso) {
  if (!iso) return "";
  const moment = new Date(iso);
  const today = new Date(serverNow()).toDateString() === moment.toDateString();
  const hm = dateFormat(HOUR_MINUTE).format(moment);
  return today ? hm : `${dateFormat({ month: "numeric", day: "numeric" }).format(moment)} ${hm}`;
}

/** "10:00" in the page's language. */
export function hourMinute(iso) {
  return dateFormat(HOUR_MINUTE).format(new Date(iso));
}

/** An arrival window in few words: "10:00–12:00" today, "11/26 10:00–12:00" another day. */
export function timeWindow(startIso, endIso) {
  const start = new Date(startIso);
  const end = new Date(endIso);
  const sameDay = start.toDateString() === end.toDateString();
  const tail = sameDay ? hourMinute(endIso) : shortTime(endIso);
  return `${shortTime(startIso)}–${tail}`;
}

/** "4:05" or "1:02:03" for a number of seconds (never negative). */
export function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** "12 s", "3 min", "2 h" for a duration in seconds. */
export function duration(seconds) {
  if (seconds == null) return "–";
  if (seconds < 90) return t("unit_seconds", { n: Math.round(seconds) });
  if (seconds < 5400) return t("unit_minutes", { n: Math.round(seconds / 60) });
  return t("unit_hours", { n: (seconds / 3600).toFixed(1) });
}

export function distance(metres) {
  if (metres == null) return "–";
  return metres < 1000 ? `${Math.round(metres)} m` : `${(metres / 1000).toFixed(1)} km`;
}

/**
 * The server's clock, as best the page knows it. Tests run the server on a fake clock, and
 * phones' clocks drift, so countdowns use the server's time: every event carries its time,
 * and server time only moves forward, so the largest offset seen is the best estimate.
 */
export function observeServerTime(iso) {
  if (!iso) return;
  const offset = Date.parse(iso) - Date.now();
  if (!Number.isNaN(offset) && (offset > serverOffsetMs || !observeServerTime.seen)) {
    serverOffsetMs = offset;
    observeServerTime.seen = true;
  }
}

export function resetServerTime(iso) {
  observeServerTime.seen = false;
  observeServerTime(iso);
}

export function serverNow() {
  return Date.now() + serverOffsetMs;
}

/** Seconds from the server's now until an RFC 3339 moment. */
export function secondsUntil(iso) {
  return (Date.parse(iso) - serverNow()) / 1000;
}

export function secondsSince(iso) {
  return (serverNow() - Date.parse(iso)) / 1000;
}
