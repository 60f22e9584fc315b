/**
 * `warren.terminal`: how wide a notebook's output is, in characters of its
 * monospace font, which the page sends on open and whenever it changes: the
 * `!` commands' terminal gets that many columns, so progress bars and
 * column listings fit the output rather than wrap.
 */
export interface TerminalWidth {
  columns: number;
}

/** The narrowest and widest terminal a page may ask for. */
export const TERMINAL_COLUMNS = { min: 20, max: 1000 } as const;

/** The answer to a width the kernel refused (none is sent for one it took). */
export interface TerminalRefusal {
  error: string;
}
