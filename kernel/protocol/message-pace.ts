/**
 * jupyter_server also stops passing a kernel's iopub messages to a page once
 * more than `iopub_msg_rate_limit` of them a second (1,000) came for it,
 * averaged over `rate_limit_window` (3 s), every message counted but status,
 * execute_input and comm_open. It then drops every message, streams and the
 * last update of a progress display included, until the rate falls below 0.8
 * of the limit (measured: 20,000 updates of one display showed 17,305 and
 * lost the line printed after them). So under a server the kernel keeps
 * below that limit itself, per request (the server starts counting afresh at
 * each idle), and chooses what waits and what goes:
 * - the first messages go out as they come;
 * - beyond that they wait in order and go out as the budget refills, folded
 *   as the page would show them: a later update of a display replaces an
 *   earlier one still waiting and goes last (a display waiting for it takes
 *   its data instead), a
 *   clear_output drops what waited before it, text of one stream joins the
 *   text waiting before it;
 * - when more wait than the budget allows, the oldest are left out, with a
 *   note where they were;
 * - at the end of the request, the latest of what waits goes out at once.
 */

import { ServerWindow } from './server-window';

/** An output of the request, as it is to be published. */
export type Outgoing =
  | { kind: 'stream'; name: 'stdout' | 'stderr'; text: string }
  | {
      kind: 'message';
      type: string;
      content: Record<string, unknown>;
      metadata: Record<string, unknown>;
      buffers: Uint8Array[];
    };

/** Messages jupyter_server does not count. */
const UNCOUNTED = new Set(['status', 'execute_input', 'comm_open']);
/** Messages held back, at most, and their size: beyond either, the oldest are left out. */
const HELD_MAX = 1000;
const HELD_SIZE = 16 * 1024 * 1024;
/** How often, while more come than go, a note and the latest are shown. */
const NOTE_MS = 1000;
/** The latest outputs a note shows, at least, while the window is full. */
const NOTE_LATEST = 25;
/** Messages a settle sends, however spent the budget: the request's last outputs. */
const SETTLE_MIN = 8;

export class MessagePace {
  private readonly window: ServerWindow;
  /** The time of the latest call: what the window lets through is counted then. */
  private last: number;
  private readonly reserve: number;
  /** Room kept for the notes of a few seconds, while the window is full. */
  private readonly noteRoom: number;
  /** Below this, outputs wait: the reserve and the notes' room. */
  private readonly floor: number;
  private held: Outgoing[] = [];
  /** The size of what waits (Private.size): bounds the memory a loop of large images holds. */
  private heldSize = 0;
  /** Counted messages left out since the last note (the note goes where they were). */
  private leftOut = 0;
  private lastNote = -Infinity;

  constructor(
    private readonly messagesPerSecond: number,
    windowSeconds: number,
    now: number,
    /** The kernel's count of messages, shared with other requests' output (server-window.ts). */
    window?: ServerWindow
  ) {
    // As for stream bytes (pace.ts): the server's count mirrored
    // (server-window.ts), with a reserve kept for the end of the request.
    this.window = window ?? new ServerWindow(messagesPerSecond, windowSeconds);
    this.reserve = Math.min(this.window.capacity / 8, 2 * SETTLE_MIN + 16);
    this.noteRoom = Math.min(this.window.capacity / 8, (windowSeconds + 1) * NOTE_LATEST);
    this.floor = this.reserve + this.noteRoom;
    this.last = now;
  }

  /** Whether messages wait for the budget. */
  get holding(): boolean {
    return this.held.length > 0 || this.leftOut > 0;
  }

  /** The size of what waits, about: its text, its data's strings, its buffers. */
  get waitingSize(): number {
    return this.heldSize;
  }

  /** How long until the budget lets the next waiting message go, in ms. */
  wait(now: number): number {
    this.at(now);
    if (this.leftOut === 0) return Math.ceil(this.window.msUntil(now, this.floor + 1));
    // Leaving out: the next note is due a second after the last, and needs room for two.
    const due = this.lastNote + NOTE_MS - now;
    return Math.ceil(Math.max(due, this.window.msUntil(now, this.reserve + 2)));
  }

  /** What to publish now for `item`: itself, or what waited and is let go now (nothing, maybe). */
  offer(item: Outgoing, now: number): Outgoing[] {
    if (!this.holding) {
      if (!Private.counted(item)) return [item];
      this.at(now);
      if (this.tokens - 1 >= this.floor) {
        this.spend(1);
        return [item];
      }
    }
    this.hold(item);
    return this.release(now);
  }

  /**
   * What waited and the budget lets go now, oldest first. While more come
   * than go (the oldest already left out), once a second: a note of what was
   * left out, and the latest that the budget lets go.
   */
  release(now: number): Outgoing[] {
    this.at(now);
    if (this.leftOut > 0) {
      if (now - this.lastNote < NOTE_MS) return [];
      const room = Math.floor(this.tokens - this.reserve) - 1;
      if (room < 1) return [];
      this.lastNote = now;
      // Keep the notes' room for the seconds to come, unless there is more.
      return this.latest(Math.max(Math.min(room, NOTE_LATEST), room - this.noteRoom));
    }
    const out: Outgoing[] = [];
    while (this.held.length > 0) {
      const next = this.held[0];
      if (Private.counted(next)) {
        if (this.tokens - 1 < this.floor) break;
        this.spend(1);
      }
      this.heldSize -= Private.size(next);
      out.push(this.held.shift()!);
    }
    return out;
  }

  /**
   * The end of the request (or before input, or a reply): everything waiting
   * goes now, as far as the budget goes, the latest first kept, and a note
   * where the rest were left out.
   */
  settle(now: number): Outgoing[] {
    this.at(now);
    return this.latest(Math.max(SETTLE_MIN, Math.floor(this.tokens) - 1));
  }

  /** A note of what was left out (if any), then all that waits, the oldest left out beyond `room`. */
  private latest(room: number): Outgoing[] {
    let drop = this.held.filter(Private.counted).length - room;
    if (drop > 0) {
      this.held = this.held.filter((m) => {
        if (drop <= 0 || !Private.counted(m)) return true;
        drop--;
        this.leftOut++;
        return false;
      });
    }
    const out: Outgoing[] = this.leftOut > 0 ? [this.note()] : [];
    out.push(...this.held);
    this.spend(out.filter(Private.counted).length);
    this.held = [];
    this.heldSize = 0;
    return out;
  }

  /** What may be sent now: the kernel's count, shared with other requests' output. */
  private get tokens(): number {
    return this.window.available(this.last);
  }

  /** The time the shared window is read and spent at, from now on. */
  private at(now: number): void {
    this.last = now;
  }

  private spend(count: number): void {
    this.window.spend(this.last, count);
  }

  /** Takes `item` in among what waits, folded as the page would show it. */
  private hold(item: Outgoing): void {
    // What waits is what was shown: a cell that changes an object after
    // showing it (a training loop's state) must not change what waits.
    if (item.kind === 'message') item = Private.snapshot(item);
    const held = this.held;
    const tail = held[held.length - 1];
    if (item.kind === 'stream') {
      if (tail?.kind === 'stream' && tail.name === item.name) {
        held[held.length - 1] = { ...tail, text: tail.text + item.text };
      } else held.push(item);
      this.heldSize += Private.size(item);
      return this.bound();
    }
    if (item.type === 'update_display_data') {
      const id = Private.displayId(item);
      if (id === undefined) {
        held.push(item);
        this.heldSize += Private.size(item);
        return this.bound();
      }
      // A waiting update of the display is replaced: the new one goes last,
      // where the oldest-first leaving out reaches it last (left where the
      // first one waited, a loop of rows and a progress bar ended on a stale value).
      let replaced = false;
      const kept: Outgoing[] = [];
      for (const m of held) {
        if (
          m.kind === 'message' &&
          m.type === 'update_display_data' &&
          Private.displayId(m) === id
        ) {
          this.heldSize -= Private.size(m);
          replaced = true;
          continue;
        }
        // Text the update sat between joins up: a log beside a progress bar
        // waits as one message, not one a line.
        const last = kept[kept.length - 1];
        if (m.kind === 'stream' && last?.kind === 'stream' && last.name === m.name)
          kept[kept.length - 1] = { ...last, text: last.text + m.text };
        else kept.push(m);
      }
      this.held = kept;
      // A display still waiting shows the update's data where it is.
      let taken = false;
      this.held.forEach((m, i) => {
        if (m.kind !== 'message' || m.type !== 'display_data' || Private.displayId(m) !== id)
          return;
        this.held[i] = {
          ...m,
          content: { ...m.content, data: item.content.data, metadata: item.content.metadata }
        };
        this.heldSize += Private.size(this.held[i]) - Private.size(m);
        taken = true;
      });
      // An update that was waiting was for a display already on the page
      // (one shown earlier under the same id): it still needs this one.
      if (!taken || replaced) {
        this.held.push(item);
        this.heldSize += Private.size(item);
      }
      return this.bound();
    }
    if (item.type === 'clear_output') {
      // clear_output clears at once; with wait, only once the next output is
      // added (not an update of a display), so a cell that ends on one still
      // shows what came before it.
      // What would be cleared as soon as shown does not wait: for a wait,
      // that is what came before the previous clear, once an output followed
      // it. Updates of displays already on the page still count.
      let upTo = held.length;
      if (item.content.wait === true) {
        upTo = 0;
        for (let i = held.length - 1; i >= 0; i--) {
          const m = held[i];
          if (m.kind !== 'message' || m.type !== 'clear_output') continue;
          if (held.slice(i + 1).some(Private.addsOutput)) upTo = i;
          else if (m.content.wait === true) {
            // A waiting clear with nothing added after it: this one is the same clear.
            held.splice(i, 1);
            this.heldSize -= Private.size(m);
          }
          break;
        }
      }
      if (upTo > 0) {
        this.held = held.filter(
          (m, i) =>
            i >= upTo ||
            !Private.counted(m) ||
            (m.kind === 'message' &&
              m.type === 'update_display_data' &&
              !held.some(
                (d) =>
                  d.kind === 'message' &&
                  d.type === 'display_data' &&
                  Private.displayId(d) === Private.displayId(m)
              ))
        );
        this.leftOut = 0;
        this.heldSize = this.held.reduce((n, m) => n + Private.size(m), 0);
      }
    }
    this.held.push(item);
    this.heldSize += Private.size(item);
    this.bound();
  }

  /** At most HELD_MAX wait, of HELD_SIZE at most: the oldest counted ones are left out. */
  private bound(): void {
    while (this.held.length > HELD_MAX || (this.heldSize > HELD_SIZE && this.held.length > 1)) {
      const at = this.held.findIndex(Private.counted);
      if (at < 0 || at === this.held.length - 1) return;
      this.heldSize -= Private.size(this.held[at]);
      this.held.splice(at, 1);
      this.leftOut++;
    }
  }

  private note(): Outgoing {
    const n = this.leftOut;
    this.leftOut = 0;
    return {
      kind: 'stream',
      name: 'stderr',
      text:
        `[warren: ${n.toLocaleString('en')} output${n === 1 ? '' : 's'} left out here: ` +
        `they came faster than the Jupyter server passes on ` +
        `(${this.messagesPerSecond.toLocaleString('en')} messages/s).]\n`
    };
  }
}

namespace Private {
  /** Whether `m` adds an output to the cell: what a clear_output(wait=True) waits for. */
  export function addsOutput(m: Outgoing): boolean {
    return (
      m.kind === 'stream' ||
      m.type === 'display_data' ||
      m.type === 'execute_result' ||
      m.type === 'error'
    );
  }

  export function counted(m: Outgoing): boolean {
    return m.kind === 'stream' || !UNCOUNTED.has(m.type);
  }

  /** Sizes measured once (a large JSON output is not written out again each time). */
  const sizes = new WeakMap<Outgoing, number>();

  /**
   * A message as JSON would write it, sharing no object with the caller's
   * (strings are kept as they are: they cannot change, and an image's are large).
   */
  export function snapshot(m: Outgoing & { kind: 'message' }): Outgoing {
    const { data, ...rest } = m.content;
    let n = 512 + m.buffers.reduce((total, b) => total + b.byteLength, 0);
    const content = copy(rest) as Record<string, unknown>;
    if (data !== undefined) {
      if (data && typeof data === 'object' && !Array.isArray(data)) {
        const values: Record<string, unknown> = {};
        for (const [mime, v] of Object.entries(data)) {
          if (typeof v === 'string') {
            values[mime] = v;
            n += v.length;
          } else {
            const json = JSON.stringify(v);
            if (json === undefined) continue;
            values[mime] = JSON.parse(json);
            n += json.length;
          }
        }
        content.data = values;
      } else content.data = copy(data);
    }
    const out: Outgoing = {
      ...m,
      content,
      metadata: copy(m.metadata ?? {}) as Record<string, unknown>,
      // A copy (a Node Buffer's slice() is a view of the caller's memory).
      buffers: m.buffers.map((b) => new Uint8Array(b))
    };
    sizes.set(out, n);
    return out;
  }

  function copy(value: unknown): unknown {
    const json = JSON.stringify(value);
    return json === undefined ? undefined : JSON.parse(json);
  }

  /** About what a message holds in memory: its text, its data as JSON, its buffers. */
  export function size(m: Outgoing): number {
    if (m.kind === 'stream') return m.text.length;
    const known = sizes.get(m);
    if (known !== undefined) return known;
    let n = 512;
    const data = m.content.data;
    if (data && typeof data === 'object') {
      for (const v of Object.values(data))
        n += typeof v === 'string' ? v.length : (JSON.stringify(v)?.length ?? 0);
    }
    for (const b of m.buffers) n += b.byteLength;
    return n;
  }

  export function displayId(m: Outgoing): string | undefined {
    if (m.kind !== 'message') return undefined;
    const transient = m.content.transient as { display_id?: unknown } | undefined;
    return typeof transient?.display_id === 'string' ? transient.display_id : undefined;
  }
}
