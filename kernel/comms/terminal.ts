import type { JSONObject } from '../../src/contract';
import { CommTargets } from '../../src/contract';
import { TERMINAL_COLUMNS } from '../../src/contract/terminal';
import type { TerminalRefusal } from '../../src/contract/terminal';
import type { Comm, CommTarget } from './comm';

/**
 * `warren.terminal`: each open, and each message on an open comm, may carry
 * the page's output width (`{ columns }`); it is given to `setColumns`. It
 * is answered out of the shell queue (main.ts), so a command running while
 * the page is resized is resized with it. A width that is no whole number
 * in range is refused on the comm, and nothing changes.
 */
export class TerminalCommTarget implements CommTarget {
  readonly name = CommTargets.terminal;

  constructor(private readonly setColumns: (columns: number) => void) {}

  open(comm: Comm, data: JSONObject): void {
    comm.onMessage((msg) => this.take(comm, msg));
    this.take(comm, data);
  }

  private take(comm: Comm, data: JSONObject): void {
    if (data.columns === undefined) return;
    const columns = data.columns;
    const { min, max } = TERMINAL_COLUMNS;
    if (
      typeof columns !== 'number' ||
      !Number.isInteger(columns) ||
      columns < min ||
      columns > max
    ) {
      const refusal: TerminalRefusal = {
        error: `a terminal's columns are a whole number from ${min} to ${max}, not ${JSON.stringify(columns)}`
      };
      comm.send(refusal as unknown as JSONObject);
      return;
    }
    this.setColumns(columns);
  }
}
