/**
 * Where the journal keeps large outputs while their execution runs: UTF-8
 * bytes written one after another into slabs outside V8's heap, reused once
 * nothing in them is kept. A flood's recent output is what the journal
 * keeps, and kept as strings it outlived each young-generation collection:
 * V8 copied every message twice (to the survivor space, then to the old
 * generation) before a full collection freed it. A Buffer per message
 * (Buffer.from) cost as much as the strings: each one its own allocation,
 * freed by a collection, its pages faulted in anew. Written into reused slabs, a `!cat`
 * of 67.5 MB cost the kernel 1.09 s of CPU (the median of nine warm runs on
 * 2 cores), against 1.40 s with strings and 0.98 s with the journal off.
 */

/** A stretch of bytes this store handed out; `release` it when it is not kept any more. */
export interface Stored {
  readonly bytes: Buffer;
  /** The slab the bytes lie in; null when they have memory of their own. */
  readonly slab: Slab | null;
}

export interface Slab {
  readonly buffer: Buffer;
  /** Stretches handed out from it and not yet released. */
  refs: number;
}

export class JournalSlabs {
  private current: Slab | null = null;
  private used = 0;
  private spares: Slab[] = [];

  /**
   * @param slabBytes - each slab's size; content larger than a quarter of it
   *   gets memory of its own, so that a slab is not left mostly empty.
   * @param maxSpares - empty slabs kept for reuse; the rest go to the
   *   collector.
   */
  constructor(
    readonly slabBytes = 1024 * 1024,
    readonly maxSpares = 2
  ) {}

  /** Slabs held: the one written into and the spares (what the store costs beyond what it keeps). */
  get slabs(): number {
    return (this.current ? 1 : 0) + this.spares.length;
  }

  /** `text` as UTF-8 bytes outside the heap. */
  put(text: string): Stored {
    const length = Buffer.byteLength(text, 'utf8');
    if (length > this.slabBytes / 4) return { bytes: Buffer.from(text, 'utf8'), slab: null };
    if (!this.current || this.used + length > this.slabBytes) this.next();
    const slab = this.current as Slab;
    const start = this.used;
    slab.buffer.write(text, start, length, 'utf8');
    this.used += length;
    slab.refs++;
    return { bytes: slab.buffer.subarray(start, start + length), slab };
  }

  /** The stretch is not kept any more: a slab nothing is kept in is written over again. */
  release(stored: Stored): void {
    const slab = stored.slab;
    if (!slab) return;
    slab.refs--;
    if (slab.refs > 0) return;
    if (slab === this.current) {
      this.used = 0;
    } else if (this.spares.length < this.maxSpares) {
      this.spares.push(slab);
    }
  }

  /** Lets go of the slabs nothing is kept in (the collector frees them): the flood is over. */
  shrink(): void {
    this.spares = [];
    if (this.current && this.current.refs === 0) this.current = null;
  }

  private next(): void {
    const old = this.current;
    // The slab being left goes to the spares once its last stretch is released.
    this.current = this.spares.pop() ?? { buffer: Buffer.allocUnsafeSlow(this.slabBytes), refs: 0 };
    this.used = 0;
    if (old && old.refs === 0 && this.spares.length < this.maxSpares) this.spares.push(old);
  }
}
