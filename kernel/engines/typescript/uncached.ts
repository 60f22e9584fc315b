import { setFlagsFromString } from 'node:v8';
import * as vm from 'node:vm';

/**
 * Runs a cell's script in this context. V8's compilation
 * cache would keep every script compiled through vm for the life of the
 * process, however often the heap is collected: 1.6 KB a cell on Node 20,
 * 16 MB of a kernel's heap after 10,000 cells. So it is off while a cell
 * compiles, and only then: off for the whole process it cost a kernel 1 MB
 * from its start (Node's own modules loaded later no longer match their code
 * cache), and it serves the cells' own eval and new Function.
 */
export function runCell(source: string, filename?: string): unknown {
  let script: vm.Script;
  setFlagsFromString('--no-compilation-cache');
  try {
    script = new vm.Script(source, { filename });
  } finally {
    setFlagsFromString('--compilation-cache');
  }
  return script.runInThisContext();
}
