/**
 * JupyterLab's output area applies `\r` and `\b` to stream text as it arrives
 * (OutputAreaModel): a `\r` goes back to just after the last `\n`. A sixel
 * image holds no `\n`, so the `\r` a program writes after one (mrpeek writes
 * `ESC [1B` CR: "down a line, to the left margin") sends the next text back
 * over the image's escape codes: `after` overwrites `ESC P 9;1` and the image
 * shows as its palette in text. A terminal draws the image as a block with the
 * cursor's moves after it landing on a line below it; so this ends the image's
 * line instead: the cursor moves and carriage returns right after a sixel
 * image's ST become one `\n`, and a `\n` is added where text would follow on
 * the image's line. Fed the chunks of one stream in order, it keeps what it
 * needs across their boundaries (an ESC P or ST cut in two, an image that ends
 * a chunk). Text outside images, and other DCS strings, pass unchanged.
 */
export class SixelLineEnds {
  /** Inside a DCS string. */
  private inDcs = false;
  /** The DCS string's parameters so far, while they may still be followed by `q`; null once decided. */
  private head: string | null = null;
  private sixel = false;
  /** The last chunk ended with an ESC (of ESC P or ST). */
  private escAtEnd = false;
  /** A sixel image's ST, and maybe moves after it, ended the last chunk: the next one ends its line. */
  private imageEnded = false;
  /** An incomplete cursor move after an image, held for the next chunk. */
  private carry = '';

  push(text: string): string {
    if (text.length === 0) return text;
    let out = '';
    let at = 0;
    if (this.imageEnded) {
      text = this.carry + text;
      this.carry = '';
      this.imageEnded = false;
      const after = this.afterImage(text, 0);
      out += after.text;
      at = after.at;
    }
    while (at < text.length) {
      if (!this.inDcs) {
        if (this.escAtEnd) {
          this.escAtEnd = false;
          if (text[at] === 'P') {
            out += 'P';
            at++;
            this.enterDcs();
            continue;
          }
        }
        const start = text.indexOf('\x1bP', at);
        if (start < 0) {
          out += text.slice(at);
          this.escAtEnd = text.endsWith('\x1b');
          return out;
        }
        out += text.slice(at, start + 2);
        at = start + 2;
        this.enterDcs();
        continue;
      }
      // The parameters, then `q` for a sixel image.
      while (this.head !== null && at < text.length) {
        const c = text[at];
        if (c === 'q') {
          this.sixel = true;
          this.head = null;
        } else if ((c >= '0' && c <= '9') || c === ';') {
          if (this.head.length >= 64) this.head = null;
          else {
            this.head += c;
            out += c;
            at++;
          }
        } else this.head = null;
      }
      let end = -1; // just after the ST
      if (this.escAtEnd) {
        this.escAtEnd = false;
        if (text[at] === '\\') end = at + 1;
      }
      if (end < 0) {
        const st = text.indexOf('\x1b\\', at);
        if (st >= 0) end = st + 2;
      }
      if (end < 0) {
        out += text.slice(at);
        this.escAtEnd = text.endsWith('\x1b');
        return out;
      }
      out += text.slice(at, end);
      at = end;
      this.inDcs = false;
      if (!this.sixel) continue;
      const after = this.afterImage(text, at);
      out += after.text;
      at = after.at;
    }
    return out;
  }

  /**
   * What replaces the cursor moves and carriage returns at `at`, right after
   * an image: one `\n`, or nothing where the text goes on with its own. Moves
   * that reach the end of the chunk (a last one maybe incomplete) wait for the
   * next chunk to say which.
   */
  private afterImage(text: string, at: number): { text: string; at: number } {
    const rest = text.slice(at, at + 256);
    const moves = Private.MOVES.exec(rest)?.[0] ?? '';
    const next = at + moves.length;
    const cut = text.length - next <= 18 && Private.PARTIAL_MOVE.test(text.slice(next));
    if (next === text.length || cut) {
      this.imageEnded = true;
      this.carry = text.slice(next);
      return { text: '', at: text.length };
    }
    return { text: text[next] === '\n' ? '' : '\n', at: next };
  }

  private enterDcs(): void {
    this.inDcs = true;
    this.head = '';
    this.sixel = false;
  }
}

namespace Private {
  /** Cursor moves (CUU..CHA, CUP, ED, EL) and carriage returns, in any number. */
  export const MOVES = /^(?:\x1b\[[0-9;]*[A-HJK]|\r)*/;
  /** The start of a cursor move that the chunk cut. */
  export const PARTIAL_MOVE = /^\x1b(?:\[[0-9;]{0,16})?$/;
}
