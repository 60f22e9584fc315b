/** Figures the benchmarks share, and the kernels they launch. */
import { closeSync, openSync, readFileSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { kernelArgv } from '../kernel/supervisor';

/** The repository's root, from the compiled benchmarks (lib/bench). */
export const ROOT = join(__dirname, '..', '..');

/** What Jupyter runs for warren's TypeScript kernel (its kernelspec's argv). */
export const WARREN_ARGV = kernelArgv(
  join(ROOT, 'lib', 'kernel', 'cli', 'warren.js'),
  'typescript'
);

/** ipykernel under `python`: by default the stock Jupyter's in .venv (npm test's set-up makes it). */
export function ipykernelArgv(python = join(ROOT, '.venv', 'bin', 'python')): string[] {
  return [python, '-m', 'ipykernel_launcher', '-f', '{connection_file}'];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * A kernel's resident memory, summed over it, every process below it and
 * `also` (the compiler serving it, which its supervisor started and left to
 * run on its own: compiler-socket.ts's `compilersIn`).
 */
export function rssMB(pid: number | undefined, also: number[] = []): number {
  return treeMB(
    pid,
    (p) => /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8')),
    also
  );
}

/** Clock ticks a second in /proc/PID/stat's times: Linux's USER_HZ, 100 on every platform it runs on. */
const TICKS_PER_S = 100;

/**
 * The CPU time (user and system, every thread) a kernel has used so far, in
 * ms, summed as `rssMB` sums memory. Differences over many cells: each
 * process's count moves in steps of 10 ms.
 */
export function cpuMs(pid: number | undefined, also: number[] = []): number {
  if (!pid) return NaN;
  let ticks = 0;
  visitTree(
    pid,
    (p) => {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime: fields 14 and 15 of proc(5), 12 and 13 after the command.
      ticks += Number(fields[11]) + Number(fields[12]);
    },
    also
  );
  return (ticks * 1000) / TICKS_PER_S;
}

/**
 * A kernel's proportional memory (PSS): pages shared between processes, the
 * node binary's text above all, divided among them. Summed over several
 * kernels it is what they hold together.
 */
export function pssMB(pid: number | undefined, also: number[] = []): number {
  return treeMB(
    pid,
    (p) => /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8')),
    also
  );
}

const PAGE = 4096;

/**
 * The memory a kernel's processes hold together: each physical page resident
 * in `pid` or a process below it, counted once (RSS summed over processes
 * counts the node binary's pages, and any other page they share, once per
 * process). Read from /proc/PID/pagemap, which gives page frame numbers only
 * to root: NaN for anyone else.
 */
export function residentMB(pid: number | undefined, also: number[] = []): number {
  if (!pid) return NaN;
  const frames = new Set<number>();
  visitTree(pid, (p) => framesOf(p, frames), also);
  return frames.size === 0 ? NaN : (frames.size * PAGE) / (1024 * 1024);
}

/** Pagemap entries read at once: 512 kB. */
const CHUNK_PAGES = 65_536;

/**
 * Adds the page frame of each page resident in `pid`'s mappings to `frames`
 * (4 kB pages, as on x86-64). A process that exits meanwhile reads short:
 * what was read counts.
 */
function framesOf(pid: number, frames: Set<number>): void {
  const smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const fd = openSync(`/proc/${pid}/pagemap`, 'r');
  const entries = Buffer.alloc(CHUNK_PAGES * 8);
  try {
    let range: [number, number] | null = null;
    for (const line of smaps.split('\n')) {
      const head = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
      if (head) {
        range = [parseInt(head[1], 16), parseInt(head[2], 16)];
        continue;
      }
      // Only mappings with something resident: V8 reserves gigabytes it never touches.
      const rss = /^Rss:\s+(\d+) kB/.exec(line);
      if (!range || !rss || rss[1] === '0') continue;
      // [vsyscall] sits above 2^53: no exact position for it, and nothing of ours.
      if (range[1] > Number.MAX_SAFE_INTEGER) continue;
      for (let page = range[0] / PAGE; page < range[1] / PAGE; page += CHUNK_PAGES) {
        const want = Math.min(CHUNK_PAGES, range[1] / PAGE - page) * 8;
        const got = readSync(fd, entries, 0, want, page * 8);
        for (let at = 0; at + 8 <= got; at += 8) {
          const high = entries.readUInt32LE(at + 4);
          // Bit 63: present; bits 0-54: the page frame number (0 unless root).
          if (high & 0x80000000) {
            const frame = (high & 0x7fffff) * 2 ** 32 + entries.readUInt32LE(at);
            if (frame !== 0) frames.add(frame);
          }
        }
        if (got < want) break;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Every living process's children, by parent pid, from /proc. */
export function processChildren(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command may hold spaces and parentheses: the fields after the last ')' are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** The kB that `read` finds for a process, summed over `pid` and every process below it, in MB. */
function treeMB(
  pid: number | undefined,
  read: (pid: number) => RegExpExecArray | null,
  also: number[]
): number {
  if (!pid) return NaN;
  let kb = 0;
  visitTree(
    pid,
    (p) => {
      const m = read(p);
      kb += m ? Number(m[1]) : 0;
    },
    also
  );
  return kb / 1024;
}

/**
 * Calls `visit` once for `pid`, every process below it and each of `also`
 * and those below them, parents first; a process `visit` cannot read (gone
 * meanwhile) is passed over with those below it.
 */
function visitTree(pid: number, visit: (pid: number) => void, also: number[] = []): void {
  const children = processChildren();
  const seen = new Set<number>();
  const walk = (p: number) => {
    if (seen.has(p)) return;
    seen.add(p);
    try {
      visit(p);
    } catch {
      return;
    }
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  for (const p of also) walk(p);
}

/** One peer's figures, by metric: numbers, or words where a figure is not a number. */
export type Row = Record<string, number | string>;

/**
 * Measures each peer in turn (a peer that throws says why on stderr and
 * gets an empty row), then prints one table: a line per metric, each peer's
 * figure, and the first peer's (warren's) ratio to each of the others.
 */
export async function comparePeers<P extends { name: string }>(
  peers: P[],
  measure: (peer: P) => Promise<Row>
): Promise<Record<string, Row>> {
  const results = await measurePeers(peers, measure);
  printRatios(
    peers.map((p) => p.name),
    results
  );
  return results;
}

/** Each peer's row, measured in turn; a peer that throws says why on stderr and gets an empty row. */
export async function measurePeers<P extends { name: string }>(
  peers: P[],
  measure: (peer: P) => Promise<Row>
): Promise<Record<string, Row>> {
  const results: Record<string, Row> = {};
  for (const peer of peers) {
    process.stderr.write(`measuring ${peer.name}...\n`);
    try {
      results[peer.name] = await measure(peer);
    } catch (error) {
      process.stderr.write(`${peer.name}: ${String(error)}\n`);
      results[peer.name] = {};
    }
  }
  return results;
}

/** The table `comparePeers` prints: the first name is the one the ratios are of. */
export function printRatios(names: string[], results: Record<string, Row>): void {
  const [ours, ...others] = names;
  const keys = [...new Set(Object.values(results).flatMap((r) => Object.keys(r)))];
  const fmt = (v: number | string | undefined) =>
    v === undefined ? 'n/a' : typeof v === 'number' ? (v < 10 ? v.toFixed(3) : v.toFixed(1)) : v;
  console.log(['metric', ...names, ...others.map((n) => `${ours}/${n}`)].join(' | '));
  for (const key of keys) {
    const w = results[ours][key];
    const ratios = others.map((n) => {
      const v = results[n][key];
      return typeof w === 'number' && typeof v === 'number' && v !== 0
        ? `${(w / v).toFixed(2)}x`
        : '';
    });
    console.log([key, ...names.map((n) => fmt(results[n][key])), ...ratios].join(' | '));
  }
}
