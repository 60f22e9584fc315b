/** How a DCS string ended: with its ST, with the stream, or past the size cap. */
export type DcsEnd = 'complete' | 'truncated' | 'overflow';

type DcsHandler = ((body: string, end: DcsEnd) => void) | null;

/**
 * A DCS, OSC, APC, PM or SOS string still waiting for its terminator. Its
 * chunks are kept apart and joined once: a multi-megabyte sixel image
 * arrives in thousands of pty reads, and re-scanning the whole string on
 * each would be quadratic.
 */
export class ControlString {
  private parts: string[] = [];
  private size = 0;
  private overflow = false;
  private endsInEsc = false;

  /** `kind`: the introducer's second byte: P (DCS), ] (OSC), _, ^ or X. */
  constructor(readonly kind: string) {}

  /** Adds to the body; past the cap the body is dropped as it comes, and its head says what it was. */
  add(text: string): void {
    if (!text) return;
    this.size += text.length;
    this.endsInEsc = text.endsWith('\x1b');
    if (this.overflow) return;
    if (this.size > ControlString.MAX) {
      this.overflow = true;
      this.parts = [this.parts.join('').slice(0, 64)];
      return;
    }
    this.parts.push(text);
  }

  /**
   * Feeds `chunk`; returns what follows the terminator, or null if none came.
   * A DCS that ends goes to `onDcs`.
   */
  continue(chunk: string, onDcs: DcsHandler): string | null {
    // The ST (ESC \\) may be cut between two chunks.
    const stSplit = this.endsInEsc && chunk.startsWith('\\');
    const st = stSplit ? -1 : chunk.indexOf('\x1b\\');
    const bel = this.kind === ']' ? chunk.indexOf('\x07') : -1;
    let bodyEnd: number;
    let next: number;
    if (stSplit) {
      bodyEnd = 0;
      next = 1;
    } else if (bel >= 0 && (st < 0 || bel < st)) {
      bodyEnd = bel;
      next = bel + 1;
    } else if (st >= 0) {
      bodyEnd = st;
      next = st + 2;
    } else {
      this.add(chunk);
      return null;
    }
    this.add(chunk.slice(0, bodyEnd));
    if (this.kind === 'P' && onDcs) {
      if (this.overflow) onDcs(this.parts[0], 'overflow');
      else {
        const body = this.parts.join('');
        onDcs(stSplit ? body.slice(0, -1) : body, 'complete');
      }
    }
    return chunk.slice(next);
  }

  /** The stream ended inside it: a DCS goes to `onDcs` cut short (or its head, past the cap). */
  end(onDcs: DcsHandler): void {
    if (this.kind !== 'P') return;
    onDcs?.(
      this.overflow ? this.parts[0] : this.parts.join('').replace(/\x1b$/, ''),
      this.overflow ? 'overflow' : 'truncated'
    );
  }
}

export namespace ControlString {
  /** An unterminated string longer than any sane one is dropped as it comes, not held forever. */
  export const MAX = 64 * 1024 * 1024;
}
