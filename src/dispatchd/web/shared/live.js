// The live event stream (Server-Sent Events) with replay after a reconnect.
//
// EventSource resends Last-Event-ID by itself when it reconnects; when the browser gives up
// (an error answer, or the page was offline), we reconnect with ?after=<last id>, so no event
// in between is missed.

export const EVENT_NAMES = [
  "order.created",
  "offer.sent",
  "offer.reminded",
  "offer.penalized",
  "offer.revoked",
  "offer.accepted",
  "offer.declined",
  "offer.withdrawn",
  "customer.notified",
  "order.started",
  "order.completed",
  "order.flagged",
  "order.follow_up_resolved",
  "order.cancelled",
  "alert.raised",
  "alert.closed",
  "order.appointment_set",
  "order.appointment_moved",
  "order.on_the_way",
  "order.suspended",
  "order.resumed",
  "order.handed_back",
  "order.reassigned",
  "promise.reminded",
  "promise.penalized",
  "promise.breached",
  "promise.kept",
  "order.rated",
  "order.reschedule_requested",
];

export class LiveEvents {
  /**
   * @param {(name: string, data: object, id: number) => void} onEvent
   * @param {(state: "connecting"|"live"|"offline") => void} onState
   */
  constructor(onEvent, onState = () => {}) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.lastId = null;
    this.source = null;
    this.retryTimer = null;
    this.stopped = true;
    this.seen = new Set();
    window.addEventListener("online", () => this.reconnectSoon(100));
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.source?.close();
    this.source = null;
  }

  connect() {
    if (this.stopped) return;
    this.source?.close();
    const url = this.lastId == null ? "/api/v1/events" : `/api/v1/events?after=${this.lastId}`;
    const source = new EventSource(url, { withCredentials: true });
    this.source = source;
    this.onState("connecting");
    source.addEventListener("open", () => this.onState("live"));
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        this.onState("offline");
        this.reconnectSoon(3000);
      } else {
        this.onState("connecting");
      }
    });
    for (const name of EVENT_NAMES) {
      source.addEventListener(name, (message) => this.deliver(name, message));
    }
  }

  deliver(name, message) {
    const id = Number(message.lastEventId);
    if (this.seen.has(id)) return;
    this.seen.add(id);
    if (this.seen.size > 5000) this.seen = new Set([...this.seen].slice(-1000));
    if (this.lastId == null || id > this.lastId) this.lastId = id;
    let data = {};
    try {
      data = JSON.parse(message.data);
    } catch {
      return;
    }
    this.onEvent(name, data, id);
  }

  reconnectSoon(delay) {
    if (this.stopped) return;
    if (this.source && this.source.readyState === EventSource.OPEN) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}
