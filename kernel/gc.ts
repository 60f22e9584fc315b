import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full collection that also compacts the old generation (the pages cells
 * left half empty go back to the system), none above `maxBytes` of live
 * heap, or null where V8 refuses. V8's `gc()` is taken from a context of its
 * own, so that cells see no `gc` global and no command-line flag is needed.
 * The kernel collects so when idle (services/idle-collection.ts), the
 * compiler when its kernels go quiet.
 */
export function fullCollection(maxBytes = Infinity): (() => void) | null {
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
  return () => {
    if (getHeapStatistics().used_heap_size > maxBytes) return;
    // V8 reads the flag as the collection starts; 15-25 ms for a kernel that ran 10,000 cells.
    setFlagsFromString('--compact-on-every-full-gc');
    try {
      gc();
    } finally {
      setFlagsFromString('--no-compact-on-every-full-gc');
    }
  };
}
