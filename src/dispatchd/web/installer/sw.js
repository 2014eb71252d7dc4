// The installer app's service worker: the app opens without a network, and a push makes a
// phone in a pocket vibrate and show the offer until the installer looks at it.

const CACHE = "dispatchd-app-v2";
const SHELL = [
  "/app/",
  "/app/app.css",
  "/app/main.js",
  "/app/strings.js",
  "/app/alarm.js",
  "/app/jobs.js",
  "/app/form-errors.js",
  "/app/job-holds.js",
  "/app/window-picker.js",
  "/app/location.js",
  "/app/notices.js",
  "/app/offers.js",
  "/app/outbox.js",
  "/app/photo.js",
  "/app/push.js",
  "/app/earnings.js",
  "/app/toast-place.js",
  "/app/manifest.webmanifest",
  "/app/icons/icon.svg",
  "/app/icons/icon-192.png",
  "/web/base.css",
  "/web/api.js",
  "/web/dom.js",
  "/web/focus.js",
  "/web/format.js",
  "/web/i18n.js",
  "/web/live.js",
  "/web/problems.js",
  "/web/session.js",
  "/web/strings.js",
  "/web/toast.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .catch(() => {})
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

// Network first (an update shows at once), the cached copy when offline. The API is never cached.
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) {
    return;
  }
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return response;
      })
      .catch(() => caches.match(event.request, { ignoreSearch: true }).then((hit) => hit || Response.error())),
  );
});

const WORDS = {
  en: {
    new_offer: "New job offer",
    reminder: "Reminder: answer the job offer",
    penalty: "Penalty booked — answer now",
    revoked: "Offer revoked",
    withdrawn: "Offer withdrawn",
    cancelled: "Job cancelled",
    reschedule_requested: "The customer asks to move the visit",
    reassigned: "A job was taken from you",
    promise_reminder: "Reminder: a promise to your customer is due",
    promise_penalty: "Penalty booked: a promise to your customer was not kept",
    open: "Open the app to answer.",
    penalty_amount: "A penalty of {amount} was booked.",
    revoked_body: "It was not answered in time and goes to another installer.",
  },
  zh: {
    new_offer: "新工单",
    reminder: "提醒：请答复派单",
    penalty: "已扣款：请立即答复",
    revoked: "派单已撤回",
    withdrawn: "派单已收回",
    cancelled: "工单已取消",
    reschedule_requested: "客户请求更改上门时间",
    reassigned: "工单已改派他人",
    promise_reminder: "提醒：对客户的承诺即将到期",
    promise_penalty: "已扣款：未按承诺完成",
    open: "打开应用进行答复。",
    penalty_amount: "已扣款 {amount}。",
    revoked_body: "超时未答复，工单将派给其他师傅。",
  },
};

const VIBRATE = {
  new_offer: [300, 150, 300, 150, 300],
  reminder: [500, 150, 500, 150, 500],
  penalty: [800, 120, 800, 120, 800, 120, 1200],
  promise_reminder: [500, 150, 500, 150, 500],
  promise_penalty: [800, 120, 800, 120, 800, 120, 1200],
};

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  const words = (self.navigator.language || "zh").toLowerCase().startsWith("zh") ? WORDS.zh : WORDS.en;
  const kind = data.kind || "new_offer";
  const amount = data.amount ? (Number(data.amount) / 100).toFixed(2) : "";
  const lines = [data.address, (kind === "penalty" || kind === "promise_penalty") && amount ? words.penalty_amount.replace("{amount}", amount) : null];
  if (kind === "revoked") lines.push(words.revoked_body);
  else if (data.insistent) lines.push(words.open);
  event.waitUntil(
    self.registration.showNotification(words[kind] || words.new_offer, {
      body: lines.filter(Boolean).join("\n"),
      tag: data.offer_id || data.order_id || "dispatchd",
      renotify: true,
      requireInteraction: !!data.insistent,
      vibrate: VIBRATE[kind] || [200],
      icon: "/app/icons/icon-192.png",
      badge: "/app/icons/icon-192.png",
      data: { url: "/app/" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((client) => new URL(client.url).pathname.startsWith("/app/"));
      return open ? open.focus() : self.clients.openWindow("/app/");
    }),
  );
});
