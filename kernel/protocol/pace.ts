import { ServerWindow } from './server-window';

/**
 * jupyter_server stops passing a kernel's stream output to a page once more
 * than `iopub_data_rate_limit` bytes a second (1 MB by default), averaged over
 * `rate_limit_window` seconds (3), came for it. It says so once, then drops
 * everything until the rate falls below 0.8 of the limit, which a flood that
 * ends within the window never does: the page shows the first 3 MB and never
 * the end, the part a user reads. So under a Jupyter server the kernel keeps
 * below that limit itself and chooses what to leave out: the start of the
 * output goes out whole; while output keeps coming faster, a note of how much
 * was left out and the latest lines, once a second; and before the request
 * ends (or any other output of it goes out), the latest lines of what was left
 * out, after a note.
 */
export interface PaceLimits {
  /** The server's iopub_data_rate_limit, bytes a second (0: none). */
  bytesPerSecond: number;
  /** The server's iopub_msg_rate_limit, messages a second (0: none; see message-pace.ts). */
  messagesPerSecond: number;
  /** The server's rate_limit_window, seconds. */
  windowSeconds: number;
}

export interface StreamPiece {
  name: 'stdout' | 'stderr';
  text: string;
}

/** jupyter_server's own defaults (ZMQChannelsWebsocketConnection). */
export const JUPYTER_SERVER_LIMITS: PaceLimits = {
  bytesPerSecond: 1_000_000,
  messagesPerSecond: 1000,
  windowSeconds: 3
};

/** What a stream message costs the server's count beyond its text: header, parent header, signature. */
const MESSAGE_BYTES = 1024;

/** A release's messages beyond its text: the note's, its text's, one to spare, and the note. */
const NOTE_BYTES = 3 * MESSAGE_BYTES + 256;
/** How often, while output is left out, the latest lines are shown. */
const GLIMPSE_MS = 1000;
/** Characters of the latest lines shown each time. */
const GLIMPSE_CHARS = 16 * 1024;
/** Characters of the latest lines kept for the end; the budget always holds room for them. */
const TAIL_CHARS = 256 * 1024;
/** How long a flood must have gone quiet (the command still running) before its latest lines show. */
const QUIET_MS = 250;

/**
 * A request's stream output, paced by the server's count of the kernel's
 * (server-window.ts, shared by all requests and reset at each idle), with a
 * reserve kept for the end of the request.
 */
export class StreamPace {
  private readonly window: ServerWindow;
  /** The time of the latest call: what the window lets through is counted then. */
  private last: number;
  private readonly reserve: number;
  /** Below this, output is left out: the reserve, and room for a glimpse a second while the window is full. */
  private readonly floor: number;
  /** Characters left out since the last note. */
  private leftOut = 0;
  /** The latest of what was left out, at most TAIL_CHARS, oldest first (pieces as they came). */
  private kept: StreamPiece[] = [];
  private keptChars = 0;
  /** The most wire bytes a character of what is kept takes (JSON escapes, UTF-8). */
  private keptRatio = 1;
  private lastGlimpse = 0;
  /** When other output last brought out what was left out (see interlude). */
  private lastInterlude = -Infinity;
  /** When a piece was last left out. */
  private lastKept = 0;
  /** Bytes of text let through while other output waits for the message budget, not yet sent. */
  private deferred = 0;
  /** The last text passed on ended inside a line: a note then starts on a line of its own. */
  private lineOpen = false;

  constructor(
    private readonly limits: PaceLimits,
    now: number,
    /** The kernel's count of stream bytes, shared with other requests' output (server-window.ts). */
    window?: ServerWindow
  ) {
    this.window = window ?? new ServerWindow(limits.bytesPerSecond, limits.windowSeconds);
    this.reserve = Math.min(
      this.window.capacity / 4,
      Math.ceil(TAIL_CHARS * 1.1) + NOTE_BYTES - 256
    );
    const glimpse = Math.ceil(GLIMPSE_CHARS * 1.1) + NOTE_BYTES;
    this.floor =
      this.reserve + Math.min(this.window.capacity / 4, (limits.windowSeconds + 1) * glimpse);
    this.last = now;
  }

  /** Whether any output is being left out now. */
  get leaving(): boolean {
    return this.leftOut > 0;
  }

  /**
   * The pieces to publish now for `piece`: itself, nothing, or a note and the
   * latest lines. `behind`: other output waits for the server's message budget
   * (message-pace.ts), so what is let through now waits behind it, in order,
   * and the server counts it when it goes: it is set aside against the budget
   * here (`deferred`) and counted by `sent()` when it goes.
   */
  pass(piece: StreamPiece, now: number, behind = false): StreamPiece[] {
    this.at(now);
    // Measured once: a flood's every read comes through here.
    const bytes = Private.wireBytes(piece.text);
    if (!this.leaving) {
      const cost = bytes + MESSAGE_BYTES;
      if (this.tokens - this.deferred - cost >= this.floor) {
        if (behind) this.deferred += cost;
        else this.spend(cost);
        if (piece.text.length > 0) this.lineOpen = !piece.text.endsWith('\n');
        return [piece];
      }
      this.lastGlimpse = now;
    }
    this.keep(piece, bytes);
    this.lastKept = now;
    if (now - this.lastGlimpse < GLIMPSE_MS) return [];
    const budget = this.tokens - this.deferred - this.reserve;
    const glimpse = this.glimpseChars();
    if (this.affordable(budget) < glimpse) return [];
    this.lastGlimpse = now;
    return this.release(glimpse, budget);
  }

  /**
   * Stream text that waited behind other output (see pass) went out now:
   * counted from now, as the server counts it.
   */
  sent(now: number, text: string): void {
    const bytes = Private.wireBytes(text) + MESSAGE_BYTES;
    this.at(now);
    this.deferred = Math.max(0, this.deferred - bytes);
    this.spend(bytes);
  }

  /** Nothing waits for the message budget any more: what was set aside for it is free. */
  caughtUp(): void {
    this.deferred = 0;
  }

  /**
   * The end of the request (or input asked for): everything still held back,
   * a note and the latest lines of what was left out, on the whole budget.
   */
  settle(now: number): StreamPiece[] {
    this.at(now);
    if (!this.leaving) return [];
    const budget = this.tokens - this.deferred;
    return this.release(Math.min(TAIL_CHARS, this.affordable(budget)), budget);
  }

  /**
   * Other output of the request goes out next. What was left out before it
   * shows first, as far as the budget less its reserve goes, so that a flood
   * followed by a plot shows its last lines above the plot. But at most once
   * a second, and only when some of it can be shown: a loop that prints and
   * shows an output each turn otherwise gets a note for every line, spends
   * the reserve the end of the request needs, and loses its last line. In
   * between, what is left out stays held, and the glimpses of pass() and
   * quiet() show the latest of it.
   */
  interlude(now: number): StreamPiece[] {
    this.at(now);
    if (!this.leaving || now - this.lastInterlude < GLIMPSE_MS) return [];
    const out = this.latestBesideReserve();
    if (out.length > 0) this.lastInterlude = now;
    return out;
  }

  /** A clear_output goes out next: what was left out would be cleared as soon as shown. */
  discard(): void {
    this.leftOut = 0;
    this.kept = [];
    this.keptChars = 0;
    this.keptRatio = 1;
  }

  /**
   * A flood that went quiet while its command runs on (`!make; sleep 600`):
   * after QUIET_MS with nothing new, a note and the latest lines, as far as
   * the budget less its reserve goes. Nothing while output keeps coming.
   */
  quiet(now: number): StreamPiece[] {
    this.at(now);
    if (!this.leaving || now - this.lastKept < QUIET_MS) return [];
    const out = this.latestBesideReserve();
    if (out.length > 0) this.lastGlimpse = now;
    return out;
  }

  /**
   * A note and the latest of what was left out, as far as the budget less
   * the reserve and what is set aside goes; nothing unless at least a
   * glimpse's worth (or all that is kept) can be shown.
   */
  private latestBesideReserve(): StreamPiece[] {
    const budget = this.tokens - this.deferred - this.reserve;
    const chars = Math.min(TAIL_CHARS, this.affordable(budget));
    if (chars < this.leastShown()) return [];
    return this.release(chars, budget);
  }

  /** Characters a release beside the reserve must be able to show to be worth a note. */
  private leastShown(): number {
    return Math.min(this.keptChars, this.glimpseChars());
  }

  /** How long until quiet() may show what is held, in ms (while anything is left out). */
  quietDue(now: number): number {
    this.at(now);
    const need = this.reserve + this.deferred + this.bytesFor(this.leastShown());
    // More than the window ever holds: the end of the request shows it.
    if (need > this.window.capacity) return Infinity;
    return Math.max(this.lastKept + QUIET_MS - now, this.window.msUntil(now, need), 0);
  }

  /** Characters of what was left out that `budget` bytes can show, with a note. */
  private affordable(budget: number): number {
    return Math.max(0, Math.floor((budget - NOTE_BYTES) / this.perChar()));
  }

  /** The bytes that showing `chars` of what was left out takes, with a note (affordable's inverse). */
  private bytesFor(chars: number): number {
    return Math.ceil(chars * this.perChar()) + NOTE_BYTES + 1;
  }

  /** Wire bytes a character of what is kept, and a little for what the ratio of a cut piece misses. */
  private perChar(): number {
    return this.keptRatio * 1.02;
  }

  /**
   * Characters of the latest lines a glimpse shows: GLIMPSE_CHARS, or what
   * the window holds beside the reserve under a server of very low limits
   * (else no glimpse would ever be affordable there).
   */
  private glimpseChars(): number {
    return Math.max(
      1,
      Math.min(GLIMPSE_CHARS, Math.floor(this.affordable(this.window.capacity - this.reserve) / 2))
    );
  }

  /** What may be sent now: the kernel's count, shared with other requests' output. */
  private get tokens(): number {
    return this.window.available(this.last);
  }

  /** The time the shared window is read and spent at, from now on. */
  private at(now: number): void {
    this.last = now;
  }

  private spend(cost: number): void {
    this.window.spend(this.last, cost);
  }

  private keep(piece: StreamPiece, bytes: number): void {
    this.leftOut += piece.text.length;
    if (piece.text.length > 0) this.keptRatio = Math.max(this.keptRatio, bytes / piece.text.length);
    this.kept.push({ ...piece });
    this.keptChars += piece.text.length;
    while (this.keptChars > TAIL_CHARS && this.kept.length > 0) {
      const first = this.kept[0];
      const over = this.keptChars - TAIL_CHARS;
      if (first.text.length <= over) {
        this.kept.shift();
        this.keptChars -= first.text.length;
      } else {
        const rest = Private.from(first.text, over);
        this.keptChars -= first.text.length - rest.length;
        first.text = rest;
      }
    }
  }

  /**
   * A note of what was left out, then the latest whole lines kept: at most
   * `chars` of them, and at most `budget` bytes with the note, as the server
   * counts them (the ratio `chars` came from is a whole piece's, and a tail
   * can be denser than the piece it ends).
   */
  private release(chars: number, budget: number): StreamPiece[] {
    const latest: StreamPiece[] = [];
    let room = chars;
    for (let i = this.kept.length - 1; i >= 0 && room > 0; i--) {
      const { name, text } = this.kept[i];
      const part = text.length <= room ? text : Private.from(text, text.length - room);
      // One piece per stream run, as the page would show it.
      if (latest[0]?.name === name) latest[0].text = part + latest[0].text;
      else latest.unshift({ name, text: part });
      room -= part.length;
    }
    const over = () =>
      latest.reduce((n, p) => n + Private.wireBytes(p.text) + MESSAGE_BYTES, 0) +
      MESSAGE_BYTES +
      256 -
      budget;
    // Cut from the start, at the piece's own bytes a character: a few rounds at most.
    for (let excess = over(); excess > 0 && latest.length > 0; excess = over()) {
      const text = latest[0].text;
      const perChar = Math.max(1, Private.wireBytes(text) / Math.max(1, text.length));
      const cut = Math.ceil(excess / perChar);
      if (text.length <= cut) latest.shift();
      else latest[0].text = Private.from(text, cut);
      room = 0;
    }
    // Start at a line's start: the piece cut short loses its partial first line.
    const first = latest[0];
    if (first && room <= 0) {
      const cut = first.text.indexOf('\n');
      if (cut >= 0 && cut < first.text.length - 1) first.text = first.text.slice(cut + 1);
    }
    const shown = latest.reduce((n, p) => n + p.text.length, 0);
    const out = latest.filter((p) => p.text.length > 0);
    // All of it fits (a burst that then went quiet): nothing to say.
    if (this.leftOut > shown) {
      const note = Private.note(this.leftOut - shown, this.limits);
      out.unshift({ name: 'stderr', text: this.lineOpen ? `\n${note}` : note });
    }
    if (out.length > 0) this.lineOpen = !out[out.length - 1].text.endsWith('\n');
    for (const p of out) this.spend(Private.wireBytes(p.text) + MESSAGE_BYTES);
    this.leftOut = 0;
    this.kept = [];
    this.keptChars = 0;
    this.keptRatio = 1;
    return out;
  }
}

namespace Private {
  /** JSON's two-character escapes; every other control character takes six (\u001b). */
  const SHORT_ESCAPES = new Set(['"', '\\', '\b', '\f', '\r', '\t']);
  const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

  /**
   * The bytes `text` takes in a message's JSON, as the server counts them:
   * UTF-8, each newline written `\n`, a quote or backslash two bytes, another
   * control character six (an ESC of a coloured line: `\u001b`), as is a
   * surrogate without its pair. `yes` is 1.5 bytes a character, coloured
   * output up to 1.7, so a fixed ratio will not do.
   */
  export function wireBytes(text: string): number {
    let n = text.length;
    if (/[^\x00-\x7f]/.test(text)) {
      n = Buffer.byteLength(text, 'utf8');
      // A surrogate without its pair: UTF-8 has no bytes for it (3, the
      // replacement's, above), JSON writes the six of its escape (\ud800).
      if (/[\ud800-\udfff]/.test(text)) n += 3 * (text.match(LONE_SURROGATE)?.length ?? 0);
    }
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
    if (/[\x00-\x09\x0b-\x1f"\\]/.test(text)) {
      for (const m of text.matchAll(/[\x00-\x09\x0b-\x1f"\\]/g))
        n += SHORT_ESCAPES.has(m[0]) ? 1 : 5;
    }
    return n;
  }

  /**
   * `text` from `start` on, or from one further where `start` falls between
   * the two halves of a character beyond U+FFFF (an emoji): half of one
   * would show as a replacement character.
   */
  export function from(text: string, start: number): string {
    const low = text.charCodeAt(start);
    const high = text.charCodeAt(start - 1);
    const between = low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff;
    return text.slice(between ? start + 1 : start);
  }

  export function note(chars: number, limits: PaceLimits): string {
    const size =
      chars >= 1e6
        ? `${(chars / 1e6).toFixed(1)} MB`
        : chars >= 1e3
          ? `${Math.round(chars / 1e3)} kB`
          : `${chars} characters`;
    const rate = `${(limits.bytesPerSecond / 1e6).toFixed(limits.bytesPerSecond >= 1e6 ? 0 : 2)} MB/s`;
    return (
      `[warren: ${size} of output left out here: it came faster than the Jupyter server ` +
      `passes on (${rate}). Send it to a file to keep it all.]\n`
    );
  }
}
