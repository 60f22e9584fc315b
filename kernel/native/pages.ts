/**
 * Whole pages of this process's memory given back to the system, through the
 * addon beside this file (pages.c, which the kernel's build compiles with the
 * C compiler and Node's headers: scripts/native.js). Where it was not built,
 * nothing is given back and `pages()` says why.
 */
import { join } from 'node:path';

export interface Pages {
  /** The system's page size in bytes. */
  pageSize: number;
  /** Gives back the pages from `address` for `length` bytes (whole pages); they read as zeros after. */
  drop(address: bigint, length: bigint): void;
  /** Gives back the free memory malloc holds; true when some went. */
  trim(): boolean;
  /**
   * How many bytes from `address` (at most `length`; readable memory of this
   * process's) equal those of `file` from `offset`.
   */
  equalToFile(address: bigint, length: bigint, file: string, offset: number): bigint;
  /**
   * Unmaps the pages of the read-only segments (code and constants) of the
   * program and the shared objects it loaded (the node binary, the C
   * library, libstdc++, addons), which read again from their files as they
   * are used; the bytes of address range unmapped.
   */
  unmapProgram(): number;
  /**
   * This process takes no transparent huge page from now on, even where
   * malloc asked for them; those it has stay. Whether the system took it.
   */
  hugePagesOff(): boolean;
}

let loaded: Pages | string | undefined;

/** The addon, or why it could not be loaded. */
export function pages(): Pages | string {
  if (loaded !== undefined) return loaded;
  const file = join(__dirname, 'pages.node');
  try {
    const module = { exports: {} as Pages };
    process.dlopen(module, file);
    loaded = module.exports;
  } catch (error) {
    loaded = `${file} could not be loaded: ${error instanceof Error ? error.message : String(error)}`;
  }
  return loaded;
}
