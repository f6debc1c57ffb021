// galaxyctl serve --web: what a browser sees of the gateway, right now.
//
// URL query: user (the user_id filter), protocol (connect | grpc-web),
// codec (json | proto), gateway (another gateway's base URL; it must allow
// this origin with --cors-origin), last (resume after this event id).
// URL fragment, which the browser never sends: token (a client token, sent
// as Authorization), key (the signing key's base64, pinned instead of the
// one the gateway serves).
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { GatewayEvent } from "./gen/galaxy/gateway/v1/gateway_pb";
import { Follower, HEARTBEAT, type Protocol, type StartInfo } from "./stream";
import { loadKey, toBase64, verify, type SigningKey, type Verdict } from "./verify";
import { clock, duration, View } from "./view";

/** What the page has seen, for tests and for the console. */
interface Seen {
  state: string;
  key: { base64: string; source: string } | null;
  keyError: string;
  starts: StartInfo[];
  ended: string[];
  heartbeats: number;
  gaps: number[];
  events: { id: string; type: string; user: string; verdict: Verdict; payload: string }[];
  lastEventId: string;
  missed: boolean;
}

const seen: Seen = {
  state: "starting", key: null, keyError: "", starts: [], ended: [], heartbeats: 0, gaps: [], events: [], lastEventId: "", missed: false,
};
(window as unknown as { __galaxy: Seen }).__galaxy = seen;

const view = new View();
const query = new URLSearchParams(location.search);
const fragment = new URLSearchParams(location.hash.slice(1));
const baseUrl = query.get("gateway") || location.origin;
const token = fragment.get("token") ?? "";
const pinnedKey = fragment.get("key") ?? "";

let follower: Follower | null = null;
let signingKey: SigningKey | null = null;
let counts = { valid: 0, invalid: 0, other: 0, reconnects: 0 };
let prevAt = 0;
let intervalMs = 0;
let maxGap = 0;
let verifying: Promise<void> = Promise.resolve();

function payloadText(b: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(b);
  } catch {
    return `base64:${toBase64(b)}`;
  }
}

function showStats(): void {
  view.setText("n-valid", String(counts.valid));
  view.setText("n-invalid", String(counts.invalid));
  view.mark("n-invalid", "bad", counts.invalid > 0);
  view.setText("n-other", String(counts.other));
  view.setText("n-heartbeats", String(seen.heartbeats));
  view.setText("interval", intervalMs > 0 ? duration(intervalMs) : "–");
  view.setText("max-gap", maxGap > 0 ? duration(maxGap) : "–");
  view.setText("reconnects", String(counts.reconnects));
  view.setText("last-id", seen.lastEventId || "–", "resume point: last_event_id on the next reconnect");
}

async function refreshKey(): Promise<void> {
  try {
    const k = await loadKey(baseUrl, pinnedKey);
    if (signingKey && signingKey.base64 !== k.base64) {
      view.notice("warn", `the gateway's signing key changed: ${signingKey.base64} → ${k.base64}`);
    }
    signingKey = k;
    seen.key = { base64: k.base64, source: k.source };
    seen.keyError = "";
    view.setText("key", `${k.base64} (${k.source === "pinned" ? "pinned in the URL" : "served by the gateway"})`);
  } catch (e) {
    seen.keyError = e instanceof Error ? e.message : String(e);
    view.setText("key", `cannot verify: ${seen.keyError}`);
  }
}

function started(info: StartInfo): void {
  seen.starts.push(info);
  prevAt = Date.now();
  if (info.attempt > 1) {
    counts.reconnects++;
  }
  const from = info.resumedFrom ? `after ${info.resumedFrom}` : "live";
  view.notice("info", `stream open (attempt ${info.attempt}), asked to start ${from}; galaxy-start: ${info.start || "(none)"}`);
  let missed = "";
  if (info.start === "reset") {
    missed = `the gateway could not resume after ${info.resumedFrom} and replayed its whole recent-event window (galaxy-missed-events: ${info.missed || "not said"})`;
  } else if (info.resumedFrom && info.start !== "resume") {
    missed = `the gateway did not resume after ${info.resumedFrom} (galaxy-start: ${info.start || "none"}): events sent while this page was disconnected are missing`;
  }
  if (missed) {
    seen.missed = true;
    view.banner(`Events may have been missed at ${clock(Date.now())} UTC: ${missed}.`);
    view.notice("warn", `events may have been missed: ${missed}`);
  }
  showStats();
}

function message(ev: GatewayEvent, at: number): void {
  const gap = at - prevAt;
  prevAt = at;
  if (ev.eventType === HEARTBEAT) {
    seen.heartbeats++;
    seen.gaps.push(gap);
    intervalMs = gap;
    maxGap = Math.max(maxGap, gap);
    view.heartbeat(gap, intervalMs);
    view.setText("last-heartbeat", `${clock(at)} UTC, after ${duration(gap)}`);
    showStats();
    return;
  }
  if (ev.eventId) {
    seen.lastEventId = ev.eventId;
  }
  const key = signingKey?.key ?? null;
  // Verification is asynchronous; chaining keeps rows in arrival order.
  verifying = verifying.then(async () => {
    const verdict = await verify(key, ev);
    const payload = payloadText(ev.payload);
    if (verdict === "valid") {
      counts.valid++;
    } else if (verdict === "invalid") {
      counts.invalid++;
    } else {
      counts.other++;
    }
    seen.events.push({ id: ev.eventId, type: ev.eventType, user: ev.userId, verdict, payload });
    view.event({
      receivedAt: at, createdAt: ev.createdAt ? Number(timestampMs(ev.createdAt)) : null,
      type: ev.eventType, user: ev.userId, id: ev.eventId, payload, verdict,
    });
    showStats();
  });
}

/** The HTTP version the page itself came over (its stream's too, when
 * they share the origin): " over h2", " over http/1.1", or "". */
function pageProtocol(): string {
  const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
  return nav?.nextHopProtocol && baseUrl === location.origin ? ` over ${nav.nextHopProtocol}` : "";
}

function subscribe(userId: string, protocol: Protocol, binary: boolean): void {
  follower?.stop();
  view.clearEvents();
  view.banner(null);
  const transport = `${protocol === "grpc-web" ? "gRPC-Web" : "Connect"}, ${binary ? "binary proto" : "JSON"}${pageProtocol()}`;
  view.setText("endpoint", `${transport} → ${baseUrl}/galaxy.gateway.v1.Gateway/Subscribe`);
  view.setText("filter", userId ? `user ${userId} and broadcasts` : "every event");
  const f = new Follower({ baseUrl, protocol, binary, token, userId, lastEventId: query.get("last") ?? "" }, {
    state: (s, detail) => {
      seen.state = s;
      view.setState(s, detail);
    },
    started,
    message,
    ended: (reason, retryInMs) => {
      seen.ended.push(reason);
      view.notice("error", `stream ended: ${reason}; reconnecting in ${duration(retryInMs)}`);
      // A restarted gateway may sign with another key: fetch it before
      // the next stream's events need it.
      return refreshKey();
    },
  });
  follower = f;
  void f.run();
}

function controls(): void {
  const form = document.getElementById("controls") as HTMLFormElement;
  const user = form.elements.namedItem("user") as HTMLInputElement;
  const transport = form.elements.namedItem("transport") as HTMLSelectElement;
  const protocol: Protocol = query.get("protocol") === "grpc-web" ? "grpc-web" : "connect";
  const binary = query.get("codec") === "proto";
  user.value = query.get("user") ?? "";
  transport.value = `${protocol}/${binary ? "proto" : "json"}`;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const [p, c] = transport.value.split("/");
    query.set("user", user.value);
    query.set("protocol", p);
    query.set("codec", c);
    query.delete("last");
    history.replaceState(null, "", `?${query.toString()}${location.hash}`);
    counts = { valid: 0, invalid: 0, other: 0, reconnects: 0 };
    subscribe(user.value, p === "grpc-web" ? "grpc-web" : "connect", c === "proto");
  });
  view.setText("auth", token ? "client token from the URL fragment, sent as Authorization" : "none (add #token=… to the URL)");
  subscribe(user.value, protocol, binary);
}

void refreshKey().then(controls);
