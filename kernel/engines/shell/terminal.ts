/**
 * Turns what a program writes to a terminal into text a notebook can show.
 * JupyterLab's output area understands SGR colours and a bare `\r`, but not
 * erase or cursor sequences: MRtrix3 draws its progress as
 * `ESC[?7l \r cmd: [ 42%] ... ESC[0K ESC[?7h`, over and over. This keeps the
 * line being drawn as cells, applies carriage return, backspace, erase and
 * horizontal cursor moves to it, keeps colours, and drops every other
 * control sequence instead of letting it leak as garbage.
 *
 * Output is pulled: `take()` returns finished lines, then, if the line being
 * drawn changed, `\r` and its whole current state. Between two takes any
 * number of redraws collapse into one.
 */
export class TerminalText {
  private done = '';
  /** The line being drawn: one character per column, and the SGR style of each. */
  private line: string[] = [];
  private styles: string[] = [];
  private cursor = 0;
  private style = '';
  private lineShown = '';
  private lineDirty = false;
  /** An escape sequence cut by a chunk boundary. */
  private carry = '';
  /** Called with the body of each DCS sequence (sixel images among them). */
  onDcs: ((body: string) => void) | null = null;

  write(chunk: string): void {
    let data = this.carry + chunk;
    this.carry = '';
    data = data.replace(/\r\n/g, '\n');
    // Fast path: plain text appended at the end of the line, no controls but newlines.
    if (this.cursor === this.line.length && !/[\x00-\x09\x0b-\x1f\x7f]/.test(data)) {
      const first = data.indexOf('\n');
      if (first < 0) {
        this.putText(data);
        return;
      }
      if (this.line.length > 0 || this.lineShown.length > 0) {
        this.putText(data.slice(0, first));
        this.newline();
      } else {
        this.done += data.slice(0, first + 1);
      }
      const last = data.lastIndexOf('\n');
      this.done += data.slice(first + 1, last + 1);
      this.putText(data.slice(last + 1));
      return;
    }
    this.parse(data);
  }

  /** Text to publish since the last take. */
  take(): string {
    let out = this.done;
    this.done = '';
    if (this.lineDirty) {
      const current = this.render();
      out += this.update(current);
      this.lineShown = current;
      this.lineDirty = false;
    }
    return out;
  }

  /**
   * What turns the shown line into `current`: only the new tail when the line
   * just grew (so streamed text stays byte-exact), else `\r` and a redraw.
   */
  private update(current: string): string {
    const shown = this.lineShown;
    if (current === shown) return '';
    if (current.startsWith(shown)) return current.slice(shown.length);
    // A shorter redraw must blank what the longer one left behind.
    const pad = Math.max(0, Private.visibleLength(shown) - Private.visibleLength(current));
    return '\r' + current + (pad > 0 ? ' '.repeat(pad) + '\r' + current : '');
  }

  /** The visible text of the line being drawn (a prompt, when a command reads). */
  currentLine(): string {
    return this.line.join('');
  }

  /** Ends the stream: an unfinished line stays as it was last drawn. */
  end(): string {
    return this.take();
  }

  private parse(data: string): void {
    let i = 0;
    const n = data.length;
    let text = '';
    const flushText = () => {
      if (text) {
        this.putText(text);
        text = '';
      }
    };
    while (i < n) {
      const c = data[i];
      const code = c.charCodeAt(0);
      if (code >= 0x20 && code !== 0x7f) {
        text += c;
        i++;
        continue;
      }
      flushText();
      if (c === '\n') {
        this.newline();
        i++;
      } else if (c === '\r') {
        this.cursor = 0;
        i++;
      } else if (c === '\b') {
        this.cursor = Math.max(0, this.cursor - 1);
        i++;
      } else if (c === '\t') {
        text += '\t';
        i++;
      } else if (c === '\x1b') {
        const used = this.escape(data, i);
        if (used < 0) {
          this.carry = data.slice(i);
          return;
        }
        i += used;
      } else {
        i++; // BEL and other C0 controls: nothing to show
      }
    }
    flushText();
  }

  /** Handles the escape sequence at `at`; returns its length, or -1 if cut short. */
  private escape(data: string, at: number): number {
    const next = data[at + 1];
    if (next === undefined) return -1;
    if (next === '[') {
      let j = at + 2;
      while (j < data.length && /[0-9;?<=>!" $']/.test(data[j])) j++;
      if (j >= data.length) return -1;
      this.csi(data.slice(at + 2, j), data[j]);
      return j - at + 1;
    }
    if (next === ']' || next === 'P' || next === '_' || next === '^' || next === 'X') {
      // OSC ends with BEL or ST; DCS, APC, PM and SOS with ST.
      const st = data.indexOf('\x1b\\', at + 2);
      const bel = next === ']' ? data.indexOf('\x07', at + 2) : -1;
      const end = bel >= 0 && (st < 0 || bel < st) ? bel + 1 : st >= 0 ? st + 2 : -1;
      if (end < 0) {
        // An unterminated sequence longer than any sane one is dropped, not held forever.
        return data.length - at > 64 * 1024 * 1024 ? data.length - at : -1;
      }
      if (next === 'P' && this.onDcs) {
        this.onDcs(data.slice(at + 2, st));
      }
      return end - at;
    }
    if (next === '(' || next === ')' || next === '#' || next === '%') {
      return data.length > at + 2 ? 3 : -1;
    }
    return 2; // ESC 7, ESC 8, ESC =, ESC > ...: no text effect
  }

  private csi(params: string, final: string): void {
    const args = params.replace(/^[?<=>]/, '').split(';').map((p) => (p === '' ? NaN : Number(p)));
    const a = Number.isNaN(args[0]) ? 0 : args[0];
    switch (final) {
      case 'm':
        if (!/^[?<=>]/.test(params)) this.style = a === 0 && args.length === 1 ? '' : this.style + `\x1b[${params}m`;
        break;
      case 'K':
        if (a === 0) {
          this.line.length = Math.min(this.line.length, this.cursor);
          this.styles.length = this.line.length;
        } else if (a === 1) {
          for (let k = 0; k <= this.cursor && k < this.line.length; k++) {
            this.line[k] = ' ';
            this.styles[k] = '';
          }
        } else {
          this.line.length = 0;
          this.styles.length = 0;
        }
        this.lineDirty = true;
        break;
      case 'G':
        this.cursor = Math.max(0, (a || 1) - 1);
        break;
      case 'C':
        this.cursor += a || 1;
        break;
      case 'D':
        this.cursor = Math.max(0, this.cursor - (a || 1));
        break;
      case 'J':
        if (a === 2 || a === 3) {
          this.line.length = 0;
          this.styles.length = 0;
          this.cursor = 0;
          this.lineDirty = true;
        }
        break;
      default:
        // cursor up/down, scrolling, modes (?7l, ?25l), queries: no place in a notebook
        break;
    }
  }

  private putText(text: string): void {
    if (!text) return;
    for (const ch of text) {
      while (this.line.length < this.cursor) {
        this.line.push(' ');
        this.styles.push('');
      }
      this.styles[this.cursor] = this.style;
      this.line[this.cursor++] = ch;
    }
    this.lineDirty = true;
  }

  private newline(): void {
    this.done += this.update(this.render()) + '\n';
    this.line = [];
    this.styles = [];
    this.cursor = 0;
    this.lineShown = '';
    this.lineDirty = false;
  }

  private render(): string {
    let out = '';
    let current = '';
    for (let k = 0; k < this.line.length; k++) {
      const style = this.styles[k] ?? '';
      if (style !== current) {
        out += (current ? '\x1b[0m' : '') + style;
        current = style;
      }
      out += this.line[k];
    }
    return current ? out + '\x1b[0m' : out;
  }
}

namespace Private {
  export function visibleLength(s: string): number {
    return s.replace(/\x1b\[[0-9;]*m/g, '').length;
  }
}
