import { setFlagsFromString } from 'node:v8';

/**
 * Each cell runs as a script of its own, compiled by vm. V8's compilation
 * cache keeps every script compiled through vm for the life of the process,
 * however often the heap is collected: 1.6 KB a cell on Node 20, 16 MB of a
 * kernel's heap after 10,000 cells. It goes off for the whole process: what
 * else it serves (eval or new Function of a source seen before) measured no
 * slower without it.
 */
export function forgetCompiledCells(): void {
  setFlagsFromString('--no-compilation-cache');
}
