import { ControlString } from './control-string';
import type { DcsEnd } from './control-string';
import { Screen } from './screen';

export type { DcsEnd } from './control-string';

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
 *
 * Once the output moves the cursor up (nested progress bars, multi-line
 * status), which no stream can show, the rest of it goes to a `Screen`
 * instead (`screen`), seeded with what the stream showed last: the caller
 * shows that as a display it updates. Once the screen has gone quiet above
 * the cursor (`Screen.quiet` reaches its rows: a command that drew bars
 * once and then logs), the output comes back to the line model with the
 * line being drawn, and the screen is final (`onScreenEnd`); moving up again
 * starts a new one.
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
  /** Inside an overlong CSI sequence: its bytes are dropped up to its final byte. */
  private droppingCsi = false;
  /** A DCS, OSC, APC, PM or SOS string still waiting for its terminator. */
  private pending: ControlString | null = null;
  /** The screen the output went to once it moved the cursor up; null until then. */
  private screenModel: Screen | null = null;
  /** The end of what `take` returned (whole lines and the line being drawn): the screen is seeded with it. */
  private tail = '';
  /** While `enterScreen` replays what the stream showed and had not shown onto a new screen. */
  private seeding = false;
  /** Where ESC 7 (or CSI s) saved the cursor on the line model: its column, and lines ended since. */
  private saved: { column: number; lines: number } | null = null;
  /** Set when a read redrew the line (a bare carriage return, a backspace): a progress bar may follow with cursor moves. */
  redrawn = false;
  /**
   * Called with the body of each DCS sequence (sixel images among them), and
   * how it ended: with its ST, cut by the end of the stream, or past the
   * size cap (then only the head of the body is given).
   */
  onDcs: ((body: string, end: DcsEnd) => void) | null = null;
  /**
   * Called when the output leaves its screen for the line model: the rows
   * above the cursor are the screen's last scrolled lines, and it shows
   * nothing more. The line being drawn is the line model's, not yet taken.
   */
  onScreenEnd: ((screen: Screen) => void) | null = null;
  /** Called for CSI sequences with a final byte of a query (c, n, t, S): the caller may answer. */
  onQuery: ((params: string, final: string) => void) | null = null;

  /** `columns`: the terminal's width, the right margin for cursor moves; `rows`: its height, the screen's. */
  constructor(
    private columns = 120,
    private readonly rows = 40
  ) {}

  /**
   * The terminal is now `columns` wide (the page was resized): the right
   * margin of the line model's cursor moves. A screen already drawn keeps
   * its width; the next one has the new.
   */
  resize(columns: number): void {
    this.columns = columns;
  }

  /** The cursor's column on the line being drawn, 0-based. */
  get column(): number {
    return this.screenModel ? this.screenModel.col : this.cursor;
  }

  /** The screen the output moved to, once it moved the cursor up (null before). */
  get screen(): Screen | null {
    return this.screenModel;
  }

  /**
   * A fresh screen for what follows, the cursor on its first row in the
   * same column: what the old one showed is final (an image came after it).
   */
  restartScreen(): void {
    const old = this.screenModel;
    if (!old) return;
    this.screenModel = new Screen(this.columns, this.rows);
    this.screenModel.toColumn(old.col);
  }

  write(chunk: string): void {
    if (this.droppingCsi) {
      const end = chunk.search(Private.CSI_END);
      if (end < 0) return;
      this.droppingCsi = false;
      chunk = chunk.slice(end + 1);
    }
    if (this.pending) {
      const rest = this.pending.continue(chunk, this.onDcs);
      if (rest === null) return;
      this.pending = null;
      chunk = rest;
    }
    const data = this.carry + chunk;
    this.carry = '';
    // Fast path: plain text appended at the end of the line, no controls but
    // line ends. A flood takes it for nearly every read, so it looks for
    // controls with includes (memchr) and rewrites CRLF with replaceAll (half
    // the time of split and join, and no array of lines to collect): the two
    // regular expressions they replace were most of the time a flood spent here.
    // It writes lines out bare, so a colour still set sends them to the parser.
    if (
      this.cursor === this.line.length &&
      this.style === '' &&
      !this.screenModel &&
      Private.plain(data)
    ) {
      // A read that ends between the \r and the \n of a line end would send
      // the whole of the next read down the slow path: that \r waits for it.
      const held = data.endsWith('\r');
      const text = (held ? data.slice(0, -1) : data).replaceAll('\r\n', '\n');
      if (!text.includes('\r')) {
        if (held) this.carry = '\r';
        if (this.saved) this.saved.lines += text.split('\n').length - 1;
        this.putLines(text);
        return;
      }
    }
    this.parse(data.replace(/\r\n/g, '\n'));
  }

  /** Appends text with no controls but newlines at the end of the line being drawn. */
  private putLines(data: string): void {
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
    if (out) {
      this.tail =
        out.length >= Private.TAIL
          ? out.slice(-Private.TAIL)
          : (this.tail + out).slice(-Private.TAIL);
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
    return this.screenModel ? this.screenModel.cursorLine() : this.line.join('');
  }

  /** Ends the stream: an unfinished line stays as it was last drawn, an unfinished DCS goes out cut short. */
  end(): string {
    const p = this.pending;
    const cut = !p && this.carry.startsWith('\x1bP') ? this.carry.slice(2) : null;
    this.pending = null;
    if (p) p.end(this.onDcs);
    else if (cut !== null) {
      this.carry = '';
      this.onDcs?.(cut.replace(/\x1b$/, ''), 'truncated');
    }
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
      const screen = this.screenModel;
      if (c === '\n') {
        if (screen) {
          screen.newline();
          this.leaveQuietScreen(screen);
        } else this.newline();
        i++;
      } else if (c === '\r') {
        if (screen) screen.carriageReturn();
        else this.cursor = 0;
        this.redrawn = true;
        i++;
      } else if (c === '\b') {
        if (screen) screen.toColumn(screen.col - 1);
        else this.cursor = Math.max(0, this.cursor - 1);
        this.redrawn = true;
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
      // ECMA-48: parameter bytes 0x30-0x3F (digits, : ; < = > ?), then
      // intermediate bytes 0x20-0x2F, then the final byte. A byte of the class
      // left out ended the sequence early and its rest leaked as text
      // (ESC[38:2:255:0:0m showed 2:255:0:0m).
      while (j < data.length && Private.CSI_BODY.test(data[j])) j++;
      if (j - at > Private.MAX_CSI) {
        // No terminal sends parameters this long: the sequence is dropped up
        // to its final byte, as xterm does, not carried from chunk to chunk.
        if (j < data.length) return j - at + 1;
        this.droppingCsi = true;
        return data.length - at;
      }
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
        // Held apart until its terminator comes (see `pending`); the rest of the data is its body.
        this.pending = new ControlString(next);
        this.pending.add(data.slice(at + 2));
        return data.length - at;
      }
      if (next === 'P' && this.onDcs) {
        this.onDcs(data.slice(at + 2, st), 'complete');
      }
      return end - at;
    }
    if (next === '(' || next === ')' || next === '#' || next === '%') {
      return data.length > at + 2 ? 3 : -1;
    }
    if (next === 'M') this.enterScreen().reverseIndex();
    else if (next === '7') this.save();
    else if (next === '8') this.restore();
    else if (next === 'D' || next === 'E') {
      const screen = this.screenModel;
      if (screen) {
        if (next === 'D') screen.index();
        else screen.newline();
        this.leaveQuietScreen(screen);
      }
    }
    return 2; // ESC =, ESC > ...: no text effect
  }

  /** ESC 7, CSI s: on the line model, the column and the lines ended from here on. */
  private save(): void {
    if (this.screenModel) this.screenModel.save();
    else this.saved = { column: this.cursor, lines: 0 };
  }

  /** ESC 8, CSI u: back on the same line, a column; lines up, the screen. */
  private restore(): void {
    const saved = this.saved;
    if (!this.screenModel && saved && saved.lines === 0) {
      this.cursor = this.clampColumn(saved.column);
      return;
    }
    const screen = this.enterScreen();
    if (saved) {
      this.saved = null;
      screen.up(saved.lines);
      screen.toColumn(saved.column);
      screen.save();
    }
    screen.restore();
  }

  /**
   * The screen, made now if the output had none: seeded with what the stream
   * showed last (not shown again unless written over), then what it has not
   * shown yet, the cursor where the line model had it.
   */
  private enterScreen(): Screen {
    if (this.screenModel) return this.screenModel;
    const screen = new Screen(this.columns, this.rows);
    const style = this.style;
    const column = this.cursor;
    const unshown = this.done + (this.lineDirty ? this.update(this.render()) : '');
    this.done = '';
    this.line = [];
    this.styles = [];
    this.cursor = 0;
    this.lineShown = '';
    this.lineDirty = false;
    this.screenModel = screen;
    // The tail may start inside a line (or an SGR): from its first whole line.
    const cut = this.tail.length >= Private.TAIL ? this.tail.indexOf('\n') + 1 : 0;
    this.style = '';
    // What seeds the screen is many lines down to the bottom: it must not
    // count as the screen gone quiet (see leaveQuietScreen), which the move
    // up that made the screen resets anyway.
    this.seeding = true;
    screen.marking = false;
    this.parse(this.tail.slice(cut));
    screen.marking = true;
    this.tail = '';
    this.parse(unshown);
    this.seeding = false;
    screen.toColumn(column);
    this.style = style;
    return screen;
  }

  /**
   * Back to the line model once every row drawn on the screen has scrolled
   * off with nothing addressing a row above the cursor in between (nested
   * bars move up at each redraw, so they never get here while they run):
   * the rows above it are final, and they seed the next screen as the
   * stream's tail would; the cursor's row becomes the line being drawn.
   */
  private leaveQuietScreen(screen: Screen): void {
    if (this.seeding || screen.quiet < this.rows) return;
    const { above, chars, styles, col } = screen.leave();
    this.screenModel = null;
    this.done = '';
    this.line = chars;
    this.styles = styles;
    this.cursor = col;
    this.lineShown = '';
    this.lineDirty = chars.length > 0;
    this.saved = null;
    this.tail = above.length > 0 ? (above.join('\n') + '\n').slice(-Private.TAIL) : '';
    this.onScreenEnd?.(screen);
  }

  /** A CSI sequence once the output has a screen. */
  private screenCsi(screen: Screen, params: string, final: string, args: number[]): void {
    const a = Number.isNaN(args[0]) ? 0 : args[0];
    const n = a || 1;
    const priv = /^[?<=>]/.test(params);
    switch (final) {
      case 'K':
        screen.eraseLine(a);
        break;
      case 'J':
        screen.eraseDisplay(a);
        break;
      case 'A':
        screen.up(n);
        break;
      case 'B':
      case 'e':
        screen.down(n);
        break;
      case 'C':
      case 'a':
        screen.toColumn(screen.col + n);
        break;
      case 'D':
        screen.toColumn(screen.col - n);
        break;
      case 'E':
        screen.down(n);
        screen.toColumn(0);
        break;
      case 'F':
        screen.up(n);
        screen.toColumn(0);
        break;
      case 'G':
      case '`':
        screen.toColumn(n - 1);
        break;
      case 'H':
      case 'f':
        screen.toRow(n - 1);
        screen.toColumn((Number.isNaN(args[1]) ? 0 : args[1] || 1) - 1);
        break;
      case 'd':
        screen.toRow(n - 1);
        break;
      case 'r':
        if (!priv)
          screen.setRegion(n - 1, (Number.isNaN(args[1]) ? this.rows : args[1] || this.rows) - 1);
        break;
      case 's':
        if (!params) screen.save();
        break;
      case 'u':
        if (!params) screen.restore();
        break;
      case 'L':
        screen.insertLines(n);
        break;
      case 'M':
        screen.deleteLines(n);
        break;
      case 'P':
        screen.deleteChars(n);
        break;
      case '@':
        screen.insertChars(n);
        break;
      case 'X':
        screen.eraseChars(n);
        break;
      case 'S':
        if (priv) this.onQuery?.(params, final);
        else screen.scrollUp(n);
        break;
      case 'T':
        if (!priv) screen.scrollDown(n);
        break;
      case 'c':
      case 'n':
      case 't':
        this.onQuery?.(params, final);
        break;
      default:
        // modes (?7l, ?25l): nothing to show
        break;
    }
  }

  private csi(params: string, final: string): void {
    const args = params
      .replace(/^[?<=>]/, '')
      .split(';')
      .map((p) => (p === '' ? NaN : Number(p)));
    const a = Number.isNaN(args[0]) ? 0 : args[0];
    if (final !== 'm') {
      // Moves off the line being drawn: from here on the output has a screen.
      const vertical =
        (final === 'A' ||
          final === 'F' ||
          final === 'H' ||
          final === 'f' ||
          final === 'd' ||
          final === 'r') &&
        !/^[?<=>]/.test(params);
      if (vertical) this.enterScreen();
      if (this.screenModel) return this.screenCsi(this.screenModel, params, final, args);
      if (final === 's' && !params) return this.save();
      if (final === 'u' && !params) return this.restore();
    }
    switch (final) {
      case 'm': {
        const colours = Private.sgr(params);
        if (colours !== null) {
          const sgr = `\x1b[${colours}m`;
          if (/^0*$/.test(colours)) this.style = '';
          // Styles only add up to so much: past a cap the latest ones stand alone.
          else if (!this.style.endsWith(sgr))
            this.style = this.style.length > Private.MAX_STYLE ? sgr : this.style + sgr;
        }
        break;
      }
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
        this.cursor = this.clampColumn((a || 1) - 1);
        break;
      case 'C':
        this.cursor = this.clampColumn(this.cursor + (a || 1));
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
      case 'c':
      case 'n':
      case 't':
      case 'S':
        // Device attributes, cursor position, window size, XTSMGRAPHICS (S also scrolls up: no effect here).
        this.onQuery?.(params, final);
        break;
      default:
        // cursor up/down, scrolling, modes (?7l, ?25l): no place in a notebook
        break;
    }
  }

  private putText(text: string): void {
    if (!text) return;
    if (this.screenModel) {
      this.screenModel.print(text, this.style);
      this.leaveQuietScreen(this.screenModel);
      return;
    }
    if (this.cursor === this.line.length && this.line.length + text.length > Private.LONG_LINE) {
      // A very long line (minified JSON, a dump without newlines) is committed
      // as it comes, but for its last stretch: redrawing it whole at each push
      // would be quadratic, and one cell per character would not fit in memory.
      const keep = Math.min(text.length, Private.LONG_LINE / 2);
      const head = text.slice(0, text.length - keep);
      this.done += this.update(this.render());
      if (head) this.done += this.style ? `${this.style}${head}\x1b[0m` : head;
      this.line = [];
      this.styles = [];
      this.cursor = 0;
      this.lineShown = '';
      text = text.slice(text.length - keep);
    }
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

  /** A cursor column, kept within the line drawn so far or the right margin, as a terminal keeps it. */
  private clampColumn(column: number): number {
    return Math.max(0, Math.min(column, Math.max(this.line.length, this.columns - 1)));
  }

  private newline(): void {
    if (this.saved) this.saved.lines++;
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
  /** Longer CSI parameters are garbage. */
  export const MAX_CSI = 256;
  /** Accumulated SGR sequences kept for the line's style, at most (characters). */
  export const MAX_STYLE = 512;
  /** The line being drawn is committed as text past this many characters (see putText). */
  export const LONG_LINE = 64 * 1024;
  /** What the stream showed last, kept to seed a screen (characters): more than a screen of lines. */
  export const TAIL = 16 * 1024;
  /** A CSI's parameter and intermediate bytes (ECMA-48: 0x30-0x3F, 0x20-0x2F). */
  export const CSI_BODY = /[\x20-\x3f]/;
  /** The first byte past them: the final byte. */
  export const CSI_END = /[^\x20-\x3f]/;

  /**
   * The parameters of an SGR sequence as JupyterLab's output area reads them
   * (numbers and semicolons), or null when it is no SGR to keep (a private
   * marker, an intermediate byte, or nothing left after the colons).
   * JupyterLab ignores a whole sequence with a colon in it, so the ITU forms
   * of extended colours
   * (38:2:r:g:b, 38:2:id:r:g:b, 38:5:n, and 48) are written with semicolons,
   * underline styles (4:3, curly) become plain underline (4:0: none), and any
   * other colon parameter (58, underline colour) is dropped.
   */
  export function sgr(params: string): string | null {
    if (!/^[0-9:;]*$/.test(params)) return null;
    if (!params.includes(':')) return params;
    const kept: string[] = [];
    for (const p of params.split(';')) {
      if (!p.includes(':')) {
        kept.push(p);
        continue;
      }
      const sub = p.split(':');
      const [head, kind] = sub;
      if ((head === '38' || head === '48') && kind === '5' && sub.length === 3) {
        kept.push(sub.join(';'));
      } else if (
        (head === '38' || head === '48') &&
        kind === '2' &&
        (sub.length === 5 || sub.length === 6)
      ) {
        // With 6, the third is a colour space id, which the semicolon form lacks.
        kept.push([head, kind, ...sub.slice(-3)].join(';'));
      } else if (head === '4') {
        kept.push(kind === '0' ? '24' : '4');
      }
    }
    return kept.length > 0 ? kept.join(';') : null;
  }

  /** Every C0 control but newline and carriage return, and DEL. */
  const CONTROLS = Array.from({ length: 32 }, (_, c) => String.fromCharCode(c))
    .filter((c) => c !== '\n' && c !== '\r')
    .concat('\x7f');

  /** Whether `s` holds no control but newlines and carriage returns. */
  export function plain(s: string): boolean {
    for (const c of CONTROLS) if (s.includes(c)) return false;
    return true;
  }

  export function visibleLength(s: string): number {
    return s.replace(/\x1b\[[0-9;]*m/g, '').length;
  }
}
