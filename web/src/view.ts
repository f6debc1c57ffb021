// The page's DOM. Everything the gateway sends is set as text
// (textContent, setAttribute on title), never parsed as HTML.

const maxRows = 500;
const maxNotices = 40;
const gapBars = 60;

export interface EventRow {
  receivedAt: number;
  createdAt: number | null;
  type: string;
  user: string;
  id: string;
  payload: string;
  verdict: string;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) {
    e.className = cls;
  }
  if (text !== undefined) {
    e.textContent = text;
  }
  return e;
}

function byId(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (e === null) {
    throw new Error(`page element #${id} is missing`);
  }
  return e;
}

/** A UTC clock time with milliseconds: 13:04:05.123. */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

export function duration(ms: number): string {
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  if (ms < 60_000) {
    return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  }
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export class View {
  private readonly rows = byId("events");
  private readonly notices = byId("notices");
  private readonly bars = byId("gaps");
  private gaps: number[] = [];

  setState(state: string, detail: string): void {
    const s = byId("state");
    s.textContent = detail ? `${state} · ${detail}` : state;
    s.className = `pill ${state}`;
  }

  setText(id: string, text: string, title?: string): void {
    const e = byId(id);
    e.textContent = text;
    if (title !== undefined) {
      e.setAttribute("title", title);
    }
  }

  /** mark sets or clears one class of an element. */
  mark(id: string, cls: string, on: boolean): void {
    byId(id).classList.toggle(cls, on);
  }

  /** The missed-events banner; null hides it. */
  banner(text: string | null): void {
    const b = byId("banner");
    b.hidden = text === null;
    b.textContent = text ?? "";
  }

  notice(kind: "info" | "warn" | "error", text: string): void {
    const li = el("li", kind);
    li.append(el("time", "", clock(Date.now())), el("span", "", text));
    this.notices.prepend(li);
    while (this.notices.childElementCount > maxNotices) {
      this.notices.lastElementChild?.remove();
    }
  }

  /** One heartbeat's gap, against the interval learned so far. */
  heartbeat(gapMs: number, intervalMs: number): void {
    this.gaps.push(gapMs);
    if (this.gaps.length > gapBars) {
      this.gaps.shift();
    }
    const top = Math.max(...this.gaps, intervalMs * 1.6);
    this.bars.replaceChildren(
      ...this.gaps.map((g) => {
        const bar = el("span", g > intervalMs * 1.5 ? "bar late" : "bar");
        bar.style.height = `${Math.max(4, Math.round((g / top) * 100))}%`;
        bar.setAttribute("title", duration(g));
        return bar;
      }),
    );
  }

  event(r: EventRow): void {
    const tr = el("tr", `v-${r.verdict}`);
    const latency = r.createdAt === null ? "" : duration(Math.max(0, r.receivedAt - r.createdAt));
    const payload = el("td", "payload", r.payload.length > 160 ? `${r.payload.slice(0, 160)}…` : r.payload);
    payload.setAttribute("title", r.payload);
    tr.append(
      el("td", "mono", clock(r.receivedAt)),
      el("td", "num", latency),
      el("td", "", r.type),
      el("td", "", r.user || "(all)"),
      el("td", "mono id", r.id),
      payload,
      el("td", "verdict", r.verdict),
    );
    this.rows.prepend(tr);
    while (this.rows.childElementCount > maxRows) {
      this.rows.lastElementChild?.remove();
    }
  }

  clearEvents(): void {
    this.rows.replaceChildren();
    this.bars.replaceChildren();
    this.gaps = [];
  }
}
