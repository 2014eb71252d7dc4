// Web Push: the phone subscribes with the server's VAPID key, so offers ring in a pocket too.

import { ApiError, NetworkError, del, get, post } from "/web/api.js";
import { t } from "/web/i18n.js";
import { refusalText } from "./form-errors.js";

const STORAGE_KEY = "dispatchd.push-subscription";

export function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

export function pushEnabled() {
  return pushSupported() && Notification.permission === "granted" && !!localStorage.getItem(STORAGE_KEY);
}

/** Ask for permission, subscribe this browser and register it; returns a message to show. */
export async function enablePush() {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return t("push_denied");
  try {
    const registration = await navigator.serviceWorker.ready;
    const { public_key: key } = await get("push/vapid-public-key");
    const subscription =
      (await registration.pushManager.getSubscription()) ||
      (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: decode(key) }));
    const stored = await post("me/push-subscriptions", subscription.toJSON());
    localStorage.setItem(STORAGE_KEY, stored.id);
    return t("push_on");
  } catch (error) {
    // The server's refusal in the phone's words; the browser's own errors are in its language.
    const reason = error instanceof ApiError || error instanceof NetworkError ? refusalText(error) : error.message || String(error);
    return t("push_failed", { reason });
  }
}

/** Forget this phone's subscription on the server (at log-out). */
export async function disablePush() {
  const id = localStorage.getItem(STORAGE_KEY);
  localStorage.removeItem(STORAGE_KEY);
  if (id) await del(`me/push-subscriptions/${encodeURIComponent(id)}`).catch(() => null);
  if ("serviceWorker" in navigator) {
    const registration = await navigator.serviceWorker.getRegistration("/app/");
    const subscription = await registration?.pushManager?.getSubscription();
    await subscription?.unsubscribe().catch(() => null);
  }
}

function decode(base64url) {
  const padded = base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (base64url.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}
