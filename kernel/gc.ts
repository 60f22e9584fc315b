import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pages } from './native/pages';

/** Garbage the used heap must hold beyond the live estimate before a collection above the limit pays. */
const GARBAGE_MIN_BYTES = 64 * 1024 * 1024;

/**
 * A full collection that also compacts the old generation (the pages cells
 * left half empty go back to the system), or null where V8 refuses. V8 marks
 * what is live with the thread stopped (0.6 s for 660 MB of small objects
 * here), and compacting moves it too: above `maxBytes` of used heap the
 * collection does not compact, and runs only when it pays, when the used
 * heap holds at least as much garbage as it held live after the last
 * collection here (and 64 MB), up to four times `maxBytes`. Used heap counts
 * garbage until it is collected: a kernel that had just dropped 320 MB of
 * arrays stayed at 397 MB for good when nothing above 256 MB was collected.
 * V8's `gc()` is taken from a context of its own, so that cells see no `gc`
 * global and no command-line flag is needed. The kernel collects so when
 * idle (services/idle-collection.ts), its io thread once iopub is quiet, the
 * compiler when its kernels go quiet. Unless `trimMalloc` is false, each
 * collection ends by giving back the memory malloc holds free
 * (native/pages.ts `trim`): what V8 and Node malloced for the work just done
 * (the compiler held 3.5 MB of it after its first cell, the kernel 1 MB).
 * malloc_trim holds each arena's lock in turn, every thread's: the io
 * thread, which collects while a cell may be running, does not trim.
 */
export function fullCollection(maxBytes = Infinity, trimMalloc = true): (() => void) | null {
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
  const collect = gc as () => void;
  /** Used heap after the last collection here: what was live then. */
  let live = 0;
  return () => {
    const used = getHeapStatistics().used_heap_size;
    if (used > maxBytes) {
      if (used > 4 * maxBytes || used - live < Math.max(live, GARBAGE_MIN_BYTES)) return;
      collect();
    } else {
      // V8 reads the flag as the collection starts; 15-25 ms for a kernel that ran 10,000 cells.
      setFlagsFromString('--compact-on-every-full-gc');
      try {
        collect();
      } finally {
        setFlagsFromString('--no-compact-on-every-full-gc');
      }
    }
    live = getHeapStatistics().used_heap_size;
    if (!trimMalloc) return;
    const addon = pages();
    if (typeof addon !== 'string') addon.trim();
  };
}
