/**
 * Node keeps its own copy of a startup snapshot's V8 data for as long as the
 * process lives (the compiler's: 36.5 MB of the 142 MB it held resident),
 * though V8 reads it only while the process starts and when it creates a
 * context. The compiler creates none after it starts (its gc() context is
 * made first), so the copy's pages can go back to the system. After that, a
 * context (`vm.createContext`) or a Worker made in the process would make V8
 * abort as it reads the copy: the compiler's code imports neither module.
 *
 * The copy is found by what it holds, not by where Node keeps it: a block of
 * its own that glibc's malloc mapped (its header at a page's start says so:
 * a size of whole pages, flagged as mapped; the compiler runs with a fixed
 * mmap threshold, so a block this large is always mapped), whose bytes equal
 * the blob file's for at least MIN_COPY_BYTES. Only the pages wholly inside
 * the equal bytes are given back; the block's first page (malloc's header,
 * and V8's snapshot header with the checksum it reads when it makes or
 * checks a code cache) stays, so Node can still free the block.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import type { Pages } from '../../native/pages';
import { pages as loadPages } from '../../native/pages';

/** A copy shorter than this is not taken for the snapshot's (the compiler's is 36.5 MB). */
const MIN_COPY_BYTES = 8 * 1024 * 1024;
/** Where in the blob file the V8 data may start: after Node's header, a few KB in. */
const HEAD_BYTES = 1024 * 1024;
const CHUNK = 1024 * 1024;

export interface Released {
  /** Bytes given back; 0 when nothing was. */
  bytes: number;
  /** Where they began, in hex, when some were. */
  at?: string;
  /** Why nothing was given back. */
  reason?: string;
}

/** The blob this process was started from (`--snapshot-blob FILE`), or null. */
export function snapshotBlob(execArgv: string[] = process.execArgv): string | null {
  const at = execArgv.indexOf('--snapshot-blob');
  if (at >= 0 && at + 1 < execArgv.length) return execArgv[at + 1];
  const joined = execArgv.find((a) => a.startsWith('--snapshot-blob='));
  return joined ? joined.slice('--snapshot-blob='.length) : null;
}

/** Gives back the pages of Node's copy of `blob`'s V8 data held in this process. */
export function releaseSnapshotCopy(blob: string, addon: Pages | string = loadPages()): Released {
  if (typeof addon === 'string') return { bytes: 0, reason: addon };
  let file: number | null = null;
  let memory: number | null = null;
  try {
    file = openSync(blob, 'r');
    memory = openSync('/proc/self/mem', 'r');
    const head = Buffer.alloc(HEAD_BYTES);
    const headLength = readSync(file, head, 0, HEAD_BYTES, 0);
    for (const region of Private.candidates(addon.pageSize)) {
      let copy: Private.Region | null = null;
      try {
        copy = Private.match(region, addon, head.subarray(0, headLength), { blob, file, memory });
      } catch {
        // A region unmapped meanwhile (EIO): the next one.
      }
      if (!copy) continue;
      addon.drop(copy.start, copy.end - copy.start);
      return { bytes: Number(copy.end - copy.start), at: copy.start.toString(16) };
    }
    return { bytes: 0, reason: 'no copy of the snapshot found' };
  } catch (error) {
    return { bytes: 0, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    if (file !== null) closeSync(file);
    if (memory !== null) closeSync(memory);
  }
}

namespace Private {
  export interface Region {
    start: bigint;
    end: bigint;
  }

  /** Private anonymous read-write mappings large enough to hold the copy. */
  export function candidates(pageSize: number): Region[] {
    const regions: Region[] = [];
    for (const line of readFileSync('/proc/self/maps', 'latin1').split('\n')) {
      const [range, perms, , , inode, path] = line.trim().split(/\s+/);
      if (!range || perms !== 'rw-p' || inode !== '0' || path) continue;
      const [start, end] = range.split('-').map((h) => BigInt(`0x${h}`));
      if (end - start >= BigInt(MIN_COPY_BYTES + pageSize)) regions.push({ start, end });
    }
    return regions;
  }

  /** The pages of a malloc block in `region` that hold the blob's bytes, or null. */
  /** The blob, open, and this process's memory, open. */
  export interface Sources {
    blob: string;
    file: number;
    memory: number;
  }

  /** The pages of a malloc block in `region` that hold the blob's bytes, or null. */
  export function match(
    region: Region,
    addon: Pages,
    head: Buffer,
    sources: Sources
  ): Region | null {
    const { pageSize } = addon;
    const { memory } = sources;
    const page = BigInt(pageSize);
    const chunk = Buffer.alloc(CHUNK);
    for (let at = region.start; at < region.end; at += BigInt(CHUNK)) {
      const want = Number(region.end - at < BigInt(CHUNK) ? region.end - at : BigInt(CHUNK));
      const n = readSync(memory, chunk, 0, want, at);
      for (let k = 0; k + 16 <= n; k += pageSize) {
        // glibc's header of a mapped block: the offset before it (0), then its size | IS_MMAPPED.
        const size = chunk.readBigUInt64LE(k + 8);
        if (chunk.readBigUInt64LE(k) !== 0n || (size & 7n) !== 2n) continue;
        const bytes = size & ~7n;
        const block = at + BigInt(k);
        if (bytes % page !== 0n || bytes < BigInt(MIN_COPY_BYTES) || block + bytes > region.end)
          continue;
        const equal = sameAsFile(block + 16n, bytes - 16n, head, sources, addon);
        if (equal === null || equal < BigInt(MIN_COPY_BYTES)) continue;
        return { start: block + page, end: block + ((16n + equal) / page) * page };
      }
    }
    return null;
  }

  /**
   * How many bytes from `from` (at most `length`) equal the blob's, from where
   * the first 64 are found in its head; null unless they begin after its start
   * and end before its end, as V8's part of it does (Node's header comes
   * before, its own data after): a Buffer the whole file was read into is no
   * snapshot copy.
   */
  function sameAsFile(
    from: bigint,
    length: bigint,
    head: Buffer,
    { blob, file, memory }: Sources,
    addon: Pages
  ): bigint | null {
    const probe = Buffer.alloc(64);
    if (readSync(memory, probe, 0, probe.length, from) !== probe.length) return null;
    const offset = head.indexOf(probe);
    if (offset <= 0 || head.indexOf(probe, offset + 1) >= 0) return null;
    const size = BigInt(fstatSync(file).size);
    // Compared where they lie, the file mapped: 5 ms rather than 30 for reading both.
    const equal = addon.equalToFile(from, length, blob, offset);
    return BigInt(offset) + equal < size ? equal : null;
  }
}
