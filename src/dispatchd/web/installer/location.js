// Sharing the phone's position while on duty, throttled: the nearest installer gets the job,
// but a position every second would drain the battery and the data plan.

import { post } from "/web/api.js";

const MIN_INTERVAL_MS = 30000;
const MIN_MOVE_M = 100;

let watchId = null;
let latest = null;
let lastSent = null;
let lastFix = null;

/** The phone's last known position this session, or null (no fix yet, or no permission). */
export function lastPosition() {
  return lastFix;
}
let timer = null;

export function startSharing() {
  if (watchId != null || !("geolocation" in navigator)) return;
  watchId = navigator.geolocation.watchPosition(
    (position) => {
      latest = {
        lat: position.coords.latitude,
        lon: position.coords.longitude,
        accuracy_m: Math.round(position.coords.accuracy || 0),
        at: new Date(position.timestamp || Date.now()).toISOString(),
      };
      lastFix = latest;
      maybeSend();
    },
    () => {},
    { enableHighAccuracy: true, maximumAge: 30000, timeout: 60000 },
  );
  timer = setInterval(maybeSend, MIN_INTERVAL_MS);
}

export function stopSharing() {
  if (watchId != null) navigator.geolocation.clearWatch(watchId);
  watchId = null;
  clearInterval(timer);
  timer = null;
}

async function maybeSend() {
  if (!latest || navigator.onLine === false) return;
  const due = !lastSent || Date.now() - lastSent.sentAt >= MIN_INTERVAL_MS;
  const moved = lastSent && metres(lastSent, latest) >= MIN_MOVE_M;
  if (!due && !moved) return;
  const fix = latest;
  try {
    await post("me/location", fix);
    lastSent = { ...fix, sentAt: Date.now() };
    if (latest === fix) latest = null;
  } catch {
    /* keep the newest fix; the next tick sends it */
  }
}

function metres(a, b) {
  const rad = Math.PI / 180;
  const x = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
  const y = (b.lat - a.lat) * rad;
  return Math.sqrt(x * x + y * y) * 6371000;
}
