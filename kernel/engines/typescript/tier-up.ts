/**
 * V8's optimizing compiler (TurboFan) held back in the compiler process
 * (started `--no-turbofan`, compiler-socket.ts) until it has worked a while.
 *
 * TypeScript is a large program. Left to V8's own counts, TurboFan goes on
 * optimizing hundreds of its functions through a notebook's first thousands
 * of cells: 2-3 ms of a worker thread's time per cell, while the kernel runs
 * the cell just answered. On two cores that time came out of the cells': the
 * first 300 distinct cells took a median of 5.0 ms without TurboFan against
 * 5.8 with it (five fresh kernels each, taking turns), and the compiler held
 * 8 MB less after them. Over a long run the optimized code pays: cells
 * 1,500-1,800 took 3.7-4.3 ms with it against 5.8-6.6 without. So TurboFan
 * comes on once the compiler has spent `afterMs` answering, whichever
 * kernels asked: a notebook of small cells after several hundred of them,
 * one of heavy cells sooner. Held back so, the first 300 cells took 5.4 ms
 * against 6.2 with TurboFan from the start (four runs each), the compiler
 * 77-78 MB after them against 85-87.
 */
import { setFlagsFromString } from 'node:v8';

/** The work after which TurboFan comes on, unless WARREN_COMPILER_TURBOFAN_AFTER_MS says otherwise. */
export const TURBOFAN_AFTER_MS = 2000;

export function turbofanAfterMs(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.WARREN_COMPILER_TURBOFAN_AFTER_MS?.trim();
  const ms = Number(given);
  return given && Number.isFinite(ms) && ms >= 0 ? ms : TURBOFAN_AFTER_MS;
}

export class TierUp {
  private total = 0;
  private on = false;

  /** `letOn` turns TurboFan on: V8's flag, unless a test gives another. */
  constructor(
    private readonly afterMs: number,
    private readonly letOn: () => void = () => setFlagsFromString('--turbofan')
  ) {}

  /** Counts `ms` more of work; true the one time that lets TurboFan on. */
  add(ms: number): boolean {
    if (this.on) return false;
    this.total += ms;
    if (this.total < this.afterMs) return false;
    this.on = true;
    this.letOn();
    return true;
  }

  /** The work counted so far (ms). */
  get worked(): number {
    return this.total;
  }
}
