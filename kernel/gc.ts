import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full collection that also compacts the old generation (the pages cells
 * left half empty go back to the system), or null where V8 refuses. Above
 * `maxBytes` of used heap it neither compacts nor stops the thread: V8 marks
 * in the background and frees the garbage, and a collection after it finds
 * what is live (used heap counts garbage until then: a kernel that had just
 * dropped 320 MB kept 387 MB for good when that count skipped collecting).
 * The promise is settled once the collection is done. V8's `gc()` is taken
 * from a context of its own, so that cells see no `gc` global and no
 * command-line flag is needed. The kernel collects so when idle
 * (services/idle-collection.ts), its io thread once iopub is quiet, the
 * compiler when its kernels go quiet.
 */
export function fullCollection(maxBytes = Infinity): (() => Promise<void>) | null {
  let gc: unknown;
  try {
    setFlagsFromString('--expose-gc');
    // A context made now gets V8's gc extension; the flag goes again at once,
    // so contexts a cell makes (vm.createContext) do not.
    gc = runInNewContext('gc');
  } catch {
    return null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  if (typeof gc !== 'function') return null;
  const collect = gc as (options?: { type: 'major'; execution: 'async' }) => unknown;
  return async () => {
    if (getHeapStatistics().used_heap_size > maxBytes) {
      // 1.1 GB of arrays live and 320 MB of garbage: the thread's longest stop was 1.5 ms.
      await collect({ type: 'major', execution: 'async' });
      return;
    }
    // V8 reads the flag as the collection starts; 15-25 ms for a kernel that ran 10,000 cells.
    setFlagsFromString('--compact-on-every-full-gc');
    try {
      collect();
    } finally {
      setFlagsFromString('--no-compact-on-every-full-gc');
    }
  };
}
