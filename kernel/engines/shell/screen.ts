/**
 * A terminal's screen: `rows` lines of `columns` cells, a cursor that moves
 * in two dimensions, a scroll region, and the lines scrolled off its top.
 * `TerminalText` switches a command's output to one of these once the
 * output moves the cursor up (nested progress bars, multi-line status):
 * the line model cannot show that, and a notebook's stream cannot either.
 *
 * Only rows written since the screen began are shown (`render`): rows above
 * them hold what the stream already showed, kept so that a cursor moving up
 * into them finds what a terminal would. Characters take one column each.
 */
export class Screen {
  private chars: string[][] = [];
  private styles: string[][] = [];
  /** The cursor, 0-based. */
  row = 0;
  col = 0;
  /** A character written in the last column wraps only when the next one comes. */
  private wrapPending = false;
  private top = 0;
  private bottom: number;
  private saved: { row: number; col: number } | null = null;
  private scrolled: string[] = [];
  /** The first row changed since the screen began (Infinity: none). */
  private shownFrom = Infinity;
  /** Whether changes count as shown (not while the screen is seeded with what the stream showed). */
  marking = true;
  /** Changed since the last `clean()`. */
  dirty = false;
  /** Lines ended on the bottom row of the whole screen since the cursor last moved up or was placed (see `quiet`). */
  private quietLines = 0;

  constructor(
    readonly columns: number,
    readonly rows: number
  ) {
    this.bottom = rows - 1;
    for (let r = 0; r < rows; r++) this.blankRow(r);
  }

  /** Writes `text` (no controls but tabs) at the cursor in `style`, wrapping at the right margin. */
  print(text: string, style: string): void {
    for (const ch of text) {
      if (ch === '\t') {
        this.col = Math.min(this.columns - 1, (Math.floor(this.col / 8) + 1) * 8);
        continue;
      }
      if (this.wrapPending) {
        this.wrapPending = false;
        this.col = 0;
        this.index();
      }
      this.chars[this.row][this.col] = ch;
      this.styles[this.row][this.col] = style;
      this.mark(this.row);
      if (this.col === this.columns - 1) this.wrapPending = true;
      else this.col++;
    }
  }

  /** A line end as the pty delivers it (CR LF). */
  newline(): void {
    this.col = 0;
    this.index();
  }

  carriageReturn(): void {
    this.col = 0;
    this.wrapPending = false;
  }

  /** Down a line, scrolling the region at its bottom. */
  index(): void {
    this.wrapPending = false;
    if (this.row === this.bottom) {
      this.scroll(1);
      if (this.top === 0 && this.bottom === this.rows - 1) this.quietLines++;
    } else if (this.row < this.rows - 1) this.row++;
  }

  /**
   * How many lines in a row the output has ended on the bottom row, scrolling
   * the whole screen, with nothing in between that moved the cursor up or to
   * a row, set a region, saved or restored the cursor, or changed rows other
   * than the cursor's. Once that is `rows`, every row drawn before has
   * scrolled off: what is above the cursor is plain scrolled text.
   */
  get quiet(): number {
    return this.quietLines;
  }

  /** Up a line, scrolling the region down at its top. */
  reverseIndex(): void {
    this.quietLines = 0;
    this.wrapPending = false;
    if (this.row === this.top) this.scrollDown(1);
    else if (this.row > 0) this.row--;
  }

  up(n: number): void {
    this.quietLines = 0;
    this.row = Math.max(this.row >= this.top ? this.top : 0, this.row - n);
    this.wrapPending = false;
  }

  down(n: number): void {
    this.quietLines = 0;
    this.row = Math.min(this.row <= this.bottom ? this.bottom : this.rows - 1, this.row + n);
    this.wrapPending = false;
  }

  /** Moves to a column, 0-based, kept on the screen. */
  toColumn(col: number): void {
    this.col = Math.max(0, Math.min(this.columns - 1, col));
    this.wrapPending = false;
  }

  /** Moves to a row, 0-based, kept on the screen. */
  toRow(row: number): void {
    this.quietLines = 0;
    this.row = Math.max(0, Math.min(this.rows - 1, row));
    this.wrapPending = false;
  }

  /** EL: 0 from the cursor to the end of the line, 1 from its start to the cursor, 2 all of it. */
  eraseLine(mode: number): void {
    const from = mode === 0 ? this.col : 0;
    const to = mode === 1 ? this.col + 1 : this.columns;
    this.blank(this.row, from, to);
  }

  /** ED: 0 from the cursor to the end of the screen, 1 from its start to the cursor, 2 and 3 all of it. */
  eraseDisplay(mode: number): void {
    if (mode !== 0) this.quietLines = 0;
    if (mode === 0) {
      this.eraseLine(0);
      for (let r = this.row + 1; r < this.rows; r++) this.blank(r, 0, this.columns);
    } else if (mode === 1) {
      for (let r = 0; r < this.row; r++) this.blank(r, 0, this.columns);
      this.eraseLine(1);
    } else {
      for (let r = 0; r < this.rows; r++) this.blank(r, 0, this.columns);
    }
  }

  /** ECH: blanks `n` cells from the cursor. */
  eraseChars(n: number): void {
    this.blank(this.row, this.col, Math.min(this.columns, this.col + n));
  }

  /** DCH: deletes `n` cells at the cursor; the rest of the line moves left. */
  deleteChars(n: number): void {
    const k = Math.min(n, this.columns - this.col);
    this.chars[this.row].splice(this.col, k);
    this.styles[this.row].splice(this.col, k);
    for (let i = 0; i < k; i++) {
      this.chars[this.row].push(' ');
      this.styles[this.row].push('');
    }
    this.mark(this.row);
  }

  /** ICH: inserts `n` blank cells at the cursor; the rest of the line moves right. */
  insertChars(n: number): void {
    const k = Math.min(n, this.columns - this.col);
    this.chars[this.row].splice(this.col, 0, ...Array<string>(k).fill(' '));
    this.styles[this.row].splice(this.col, 0, ...Array<string>(k).fill(''));
    this.chars[this.row].length = this.columns;
    this.styles[this.row].length = this.columns;
    this.mark(this.row);
  }

  /** IL: inserts `n` blank lines at the cursor's row, within the scroll region. */
  insertLines(n: number): void {
    this.quietLines = 0;
    if (this.row < this.top || this.row > this.bottom) return;
    for (let i = 0; i < Math.min(n, this.bottom - this.row + 1); i++) {
      this.chars.splice(this.bottom, 1);
      this.styles.splice(this.bottom, 1);
      this.chars.splice(this.row, 0, []);
      this.styles.splice(this.row, 0, []);
      this.blankRow(this.row);
    }
    this.mark(this.row);
  }

  /** DL: deletes `n` lines at the cursor's row, within the scroll region. */
  deleteLines(n: number): void {
    this.quietLines = 0;
    if (this.row < this.top || this.row > this.bottom) return;
    for (let i = 0; i < Math.min(n, this.bottom - this.row + 1); i++) {
      this.chars.splice(this.row, 1);
      this.styles.splice(this.row, 1);
      this.chars.splice(this.bottom, 0, []);
      this.styles.splice(this.bottom, 0, []);
      this.blankRow(this.bottom);
    }
    this.mark(this.row);
  }

  /**
   * SU: the region's lines move up `n`. Off the top of the whole screen,
   * a shown line is final (`takeScrolled`); out of a region with rows above
   * it, it is gone, as on a terminal.
   */
  scrollUp(n: number): void {
    this.quietLines = 0;
    this.scroll(n);
  }

  private scroll(n: number): void {
    for (let i = 0; i < Math.min(n, this.bottom - this.top + 1); i++) {
      const [chars] = this.chars.splice(this.top, 1);
      const [styles] = this.styles.splice(this.top, 1);
      if (this.top === 0) {
        if (this.shownFrom === 0) this.scrolled.push(renderCells(chars, styles));
        else if (this.shownFrom !== Infinity) this.shownFrom--;
      }
      this.chars.splice(this.bottom, 0, []);
      this.styles.splice(this.bottom, 0, []);
      this.blankRow(this.bottom);
    }
    this.dirty = true;
  }

  /** SD: the region's lines move down `n`; blank lines come in at its top. */
  scrollDown(n: number): void {
    this.quietLines = 0;
    for (let i = 0; i < Math.min(n, this.bottom - this.top + 1); i++) {
      this.chars.splice(this.bottom, 1);
      this.styles.splice(this.bottom, 1);
      this.chars.splice(this.top, 0, []);
      this.styles.splice(this.top, 0, []);
      this.blankRow(this.top);
    }
    this.mark(this.top);
  }

  /** DECSTBM: the scroll region, 0-based and inclusive; the cursor goes home. */
  setRegion(top: number, bottom: number): void {
    this.quietLines = 0;
    if (top >= bottom || bottom >= this.rows) {
      this.top = 0;
      this.bottom = this.rows - 1;
    } else {
      this.top = top;
      this.bottom = bottom;
    }
    this.row = 0;
    this.col = 0;
    this.wrapPending = false;
  }

  save(): void {
    this.quietLines = 0;
    this.saved = { row: this.row, col: this.col };
  }

  restore(): void {
    this.quietLines = 0;
    this.row = this.saved?.row ?? 0;
    this.col = this.saved?.col ?? 0;
    this.wrapPending = false;
  }

  /**
   * Ends the screen at the cursor's row: the shown rows above it become
   * scrolled lines (`takeScrolled`), blank ones kept, and are returned; the
   * cursor's row, its cells up to the last one not blank and the cursor's
   * column (past the margin when a wrap is pending), is handed back to
   * whoever draws the line from here on; the screen shows nothing after.
   */
  leave(): { above: string[]; chars: string[]; styles: string[]; col: number } {
    const above: string[] = [];
    for (let r = this.shownFrom; r < this.row; r++)
      above.push(renderCells(this.chars[r], this.styles[r]));
    this.scrolled.push(...above);
    const chars = this.chars[this.row];
    const styles = this.styles[this.row];
    let end = chars.length;
    while (end > 0 && chars[end - 1] === ' ' && !styles[end - 1]) end--;
    const col = this.wrapPending ? this.columns : this.col;
    for (let r = 0; r < this.rows; r++) this.blankRow(r);
    this.shownFrom = Infinity;
    this.quietLines = 0;
    this.dirty = true;
    return { above, chars: chars.slice(0, end), styles: styles.slice(0, end), col };
  }

  /** Lines scrolled off the top since the last take, rendered; they will not change again. */
  takeScrolled(): string[] {
    const out = this.scrolled;
    this.scrolled = [];
    return out;
  }

  /** The shown rows, from the first one written to the last that is not blank, with SGR colours. */
  render(): string {
    if (this.shownFrom === Infinity) return '';
    let last = this.rows - 1;
    while (last >= this.shownFrom && this.blankLine(last)) last--;
    const lines: string[] = [];
    for (let r = this.shownFrom; r <= last; r++)
      lines.push(renderCells(this.chars[r], this.styles[r]));
    return lines.join('\n');
  }

  /** The cursor's row as text (a prompt, when a command reads). */
  cursorLine(): string {
    return this.chars[this.row].join('').trimEnd();
  }

  /** Whether anything has been shown (a row written since the screen began). */
  get shown(): boolean {
    return this.shownFrom !== Infinity || this.scrolled.length > 0;
  }

  clean(): void {
    this.dirty = false;
  }

  private mark(row: number): void {
    this.dirty = true;
    if (this.marking && row < this.shownFrom) this.shownFrom = row;
  }

  private blank(row: number, from: number, to: number): void {
    for (let c = from; c < to; c++) {
      this.chars[row][c] = ' ';
      this.styles[row][c] = '';
    }
    this.mark(row);
  }

  private blankRow(row: number): void {
    this.chars[row] = Array<string>(this.columns).fill(' ');
    this.styles[row] = Array<string>(this.columns).fill('');
  }

  private blankLine(row: number): boolean {
    const chars = this.chars[row];
    const styles = this.styles[row];
    for (let c = 0; c < chars.length; c++) if (chars[c] !== ' ' || styles[c] !== '') return false;
    return true;
  }
}

/**
 * Cells as text with SGR sequences where the style changes, closed with a
 * reset; blank cells at the end are left out.
 */
export function renderCells(chars: string[], styles: string[], length = chars.length): string {
  let end = length;
  while (end > 0 && chars[end - 1] === ' ' && !styles[end - 1]) end--;
  let out = '';
  let current = '';
  for (let k = 0; k < end; k++) {
    const style = styles[k] ?? '';
    if (style !== current) {
      out += (current ? '\x1b[0m' : '') + style;
      current = style;
    }
    out += chars[k];
  }
  return current ? out + '\x1b[0m' : out;
}
