// Following the gateway: one Subscribe stream at a time, reconnected by
// itself with last_event_id, so the gateway replays what this page missed
// while it was away, or says (galaxy-start: reset) that it cannot.
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { create } from "@bufbuild/protobuf";
import { Gateway, SubscribeRequestSchema, type GatewayEvent } from "./gen/galaxy/gateway/v1/gateway_pb";

/** The event_type of the gateway's heartbeat (proto/galaxy/gateway/v1). */
export const HEARTBEAT = "gateway.heartbeat";

export type Protocol = "connect" | "grpc-web";

export interface FollowOptions {
  baseUrl: string;
  protocol: Protocol;
  binary: boolean;
  /** Sent as "Authorization: Bearer <token>" when set. */
  token: string;
  userId: string;
  /** Resume after this event id on the first stream too. */
  lastEventId: string;
}

/** How a stream started, from its response headers. */
export interface StartInfo {
  attempt: number;
  /** galaxy-start: live, resume, reset; "" from a gateway that sends none. */
  start: string;
  /** galaxy-missed-events: a count, "unknown", or "". */
  missed: string;
  /** The last_event_id this stream asked to resume after ("": live). */
  resumedFrom: string;
}

export interface FollowHandlers {
  state(state: "connecting" | "live" | "waiting", detail: string): void;
  started(info: StartInfo): void;
  /** Every message, heartbeats included, with the time it arrived. */
  message(ev: GatewayEvent, at: number): void;
  /** The stream broke; the next attempt waits for the returned promise
   * (and the backoff), so the handler can refresh what it depends on. */
  ended(reason: string, retryInMs: number): Promise<void> | void;
}

const minDelayMs = 500;
const maxDelayMs = 10_000;
/** With no interval learned yet, a stream silent this long is dead. */
const defaultStallMs = 60_000;

/**
 * Follower runs the stream until stop(). Each break (an error, the end of
 * the stream, or a silence of three heartbeat intervals, which a broken
 * connection that no one closed looks like) is followed by a reconnect
 * after a backoff that doubles from 0.5 s to 10 s, with jitter, and
 * starts over once a message arrives.
 */
export class Follower {
  private lastEventId: string;
  private intervalMs = 0;
  private abort: AbortController | null = null;
  private stopped = false;
  private receivedInLastAttempt = false;
  private readonly transport: Transport;

  constructor(private readonly opts: FollowOptions, private readonly on: FollowHandlers) {
    this.lastEventId = opts.lastEventId;
    this.transport = opts.protocol === "grpc-web"
      ? createGrpcWebTransport({ baseUrl: opts.baseUrl, useBinaryFormat: opts.binary })
      : createConnectTransport({ baseUrl: opts.baseUrl, useBinaryFormat: opts.binary });
  }

  /** The id of the last real event received: where a reconnect resumes. */
  get resumeId(): string {
    return this.lastEventId;
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  async run(): Promise<void> {
    let delay = minDelayMs;
    for (let attempt = 1; !this.stopped; attempt++) {
      this.on.state("connecting", attempt === 1 ? "" : `attempt ${attempt}`);
      let reason = "the gateway ended the stream";
      try {
        await this.once(attempt);
      } catch (e) {
        reason = describe(e);
      }
      if (this.stopped) {
        return;
      }
      if (this.receivedInLastAttempt) {
        delay = minDelayMs;
      }
      const wait = Math.round(delay * (0.8 + 0.4 * Math.random()));
      this.on.state("waiting", `reconnecting in ${(wait / 1000).toFixed(1)} s`);
      await Promise.all([sleep(wait), this.on.ended(reason, wait)]);
      delay = Math.min(delay * 2, maxDelayMs);
    }
  }

  /** One stream, to its end. */
  private async once(attempt: number): Promise<void> {
    this.receivedInLastAttempt = false;
    const abort = new AbortController();
    this.abort = abort;
    const client = createClient(Gateway, this.transport);
    const headers: Record<string, string> = {};
    if (this.opts.token) {
      headers["Authorization"] = `Bearer ${this.opts.token}`;
    }
    const resumedFrom = this.lastEventId;
    const req = create(SubscribeRequestSchema, { userId: this.opts.userId, lastEventId: resumedFrom });
    let stallTimer = 0;
    let stalled = false;
    const arm = () => {
      clearTimeout(stallTimer);
      const ms = this.intervalMs > 0 ? Math.max(3 * this.intervalMs, 5_000) : defaultStallMs;
      stallTimer = window.setTimeout(() => {
        stalled = true;
        abort.abort();
      }, ms);
    };
    arm();
    let prev = performance.now();
    try {
      const stream = client.subscribe(req, {
        signal: abort.signal,
        headers,
        onHeader: (h: Headers) => {
          this.on.state("live", "");
          this.on.started({
            attempt,
            start: h.get("galaxy-start") ?? "",
            missed: h.get("galaxy-missed-events") ?? "",
            resumedFrom,
          });
          // Where to resume if this stream breaks before its first event.
          const cursor = h.get("galaxy-resume-cursor");
          if (cursor && !this.lastEventId) {
            this.lastEventId = cursor;
          }
        },
      });
      for await (const ev of stream) {
        const now = performance.now();
        if (ev.eventType === HEARTBEAT) {
          // A heartbeat comes after one interval of silence.
          this.intervalMs = now - prev;
        } else if (ev.eventId) {
          this.lastEventId = ev.eventId;
        }
        prev = now;
        this.receivedInLastAttempt = true;
        arm();
        this.on.message(ev, Date.now());
      }
    } catch (e) {
      if (stalled) {
        throw new Error(`no message for ${Math.round((performance.now() - prev) / 1000)} s: the connection looks dead`);
      }
      throw e;
    } finally {
      clearTimeout(stallTimer);
    }
  }
}

function describe(e: unknown): string {
  if (e instanceof ConnectError) {
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
