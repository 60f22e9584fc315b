/**
 * Answers for the queries a sixel program sends its terminal before drawing.
 * Nobody else answers them in a notebook's pty, and a program that waits for
 * its answer (mrpeek asks for device attributes and the cursor position)
 * would hang there.
 */
export interface TerminalGeometry {
  columns: number;
  rows: number;
  /** One character cell, in pixels. */
  cellWidth: number;
  cellHeight: number;
}

export const DEFAULT_GEOMETRY: TerminalGeometry = {
  columns: 120,
  rows: 40,
  cellWidth: 10,
  cellHeight: 20
};

/** Sixel colour registers this terminal claims (what the decoder keeps). */
const COLOR_REGISTERS = 256;

/**
 * The reply to the CSI sequence `ESC [ params final`, or null if it is not a
 * query this terminal answers. `column` is the cursor's (0-based) column.
 */
export function answerQuery(
  params: string,
  final: string,
  geometry: TerminalGeometry,
  column: number
): string | null {
  const g = geometry;
  const width = g.columns * g.cellWidth;
  const height = g.rows * g.cellHeight;
  switch (final) {
    case 'c':
      // DA1: a VT220 with sixel graphics (4) and ANSI colour (22). DA2: a plain xterm-ish id.
      if (params === '' || params === '0') return '\x1b[?62;4;22c';
      if (params === '>' || params === '>0') return '\x1b[>0;10;1c';
      return null;
    case 'n':
      if (params === '5') return '\x1b[0n';
      // The notebook shows output as lines that scroll: the cursor is on the last row.
      if (params === '6') return `\x1b[${g.rows};${column + 1}R`;
      return null;
    case 't':
      if (params === '14' || params === '14;2') return `\x1b[4;${height};${width}t`;
      if (params === '16') return `\x1b[6;${g.cellHeight};${g.cellWidth}t`;
      if (params === '18') return `\x1b[8;${g.rows};${g.columns}t`;
      return null;
    case 'S': {
      // XTSMGRAPHICS: ESC [ ? Pi ; Pa ; Pv S. Pi 1: colour registers, 2: sixel geometry.
      const m = /^\?(\d+);(\d+)(?:;[\d;]*)?$/.exec(params);
      if (!m) return null;
      const item = Number(m[1]);
      const action = Number(m[2]);
      // Pa 1 reads, 2 resets to the default, 4 reads the maximum: all give the one value here.
      // Pa 3 sets a value, which this terminal cannot: Ps 3, a failure. Any other Pa is
      // not an action at all: Ps 2, an error in Pa (xterm's ctlseqs).
      if (action === 3) return `\x1b[?${item};3;0S`;
      if (action !== 1 && action !== 2 && action !== 4) return `\x1b[?${item};2;0S`;
      if (item === 1) return `\x1b[?1;0;${COLOR_REGISTERS}S`;
      if (item === 2) return `\x1b[?2;0;${width};${height}S`;
      return `\x1b[?${item};1;0S`; // ReGIS and the rest: no such item
    }
    default:
      return null;
  }
}
