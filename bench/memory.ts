/**
 * Where a kernel's memory goes, process by process: warren's supervisor, its
 * kernel and its TypeScript compiler, beside ipykernel 7.4 (from .venv), idle
 * after kernel_info and again after a few cells. For each process: RSS, PSS
 * (shared pages divided among the processes that map them: the node binary's
 * text is shared by all three of warren's) and USS (its private pages, what
 * ending it would give back), from /proc/PID/smaps_rollup. Also the time from
 * launch to the first kernel_info_reply (median of RUNS launches).
 *
 *   node lib/bench/memory.js             # warren and ipykernel 7.4
 *   RUNS=7 node lib/bench/memory.js --warren
 *   CELLS=1000 node lib/bench/memory.js   # and after 1,000 distinct typed cells
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelClient } from '../kernel/client/client';
import { compilersIn } from '../kernel/engines/typescript/compiler-socket';
import { ipykernelArgv, median, processChildren, WARREN_ARGV } from './measure';

const runs = Number(process.env.RUNS) || 5;
const settleMs = Number(process.env.SETTLE_MS) || 3000;
/** V8's memory reducer gives a heap's unused pages back some seconds after start: measured again after it. */
const idleMs = Number(process.env.IDLE_MS) || 15000;
/** Distinct typed cells run after the few, then measured again (0: none). */
const soak = Number(process.env.CELLS) || 0;

interface Peer {
  name: string;
  argv: string[];
  cells: string[];
  /** The soak's cell `i`: a typed declaration and an expression that reads it. */
  soak(i: number): string;
}

const PEERS: Peer[] = [
  {
    name: 'warren',
    argv: WARREN_ARGV,
    cells: [
      'const vox0: number[] = [1, 0]; vox0.length + 1',
      '!echo hello',
      ...Array.from({ length: 5 }, (_, i) => `const v${i + 1}: string = 'x${i}'; v${i + 1}`)
    ],
    soak: (i) => `const vox${i}: number[] = [1, ${i}]; vox${i}.length + 1`
  },
  {
    name: 'ipykernel 7.4',
    argv: ipykernelArgv(),
    cells: [
      'vox0: list[int] = [1, 0]; len(vox0) + 1',
      '!echo hello',
      ...Array.from({ length: 5 }, (_, i) => `v${i + 1}: str = 'x${i}'; v${i + 1}`)
    ],
    soak: (i) => `vox${i}: list[int] = [1, ${i}]; len(vox${i}) + 1`
  }
];

interface Figures {
  rss: number;
  pss: number;
  uss: number;
}

/** The process's role, from its command line. */
function role(pid: number, root: number): string {
  if (pid === root) return 'launched';
  const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  if (cmd.includes('kernel-process')) return 'kernel';
  if (/compiler/.test(cmd)) return 'compiler';
  return cmd.split(' ')[0].split('/').pop() ?? 'other';
}

function figures(pid: number): Figures {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]);
  return {
    rss: kb('Rss') / 1024,
    pss: kb('Pss') / 1024,
    uss: (kb('Private_Clean') + kb('Private_Dirty')) / 1024
  };
}

/** Each process under `root` (itself included) and under each of `also`, by role. */
function tree(root: number, also: number[] = []): Map<string, Figures> {
  const children = processChildren();
  const out = new Map<string, Figures>();
  const walk = (p: number) => {
    try {
      const name = role(p, root);
      let key = name;
      for (let n = 2; out.has(key); n++) key = `${name}#${n}`;
      out.set(key, figures(p));
    } catch {
      return;
    }
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(root);
  for (const p of also) walk(p);
  return out;
}

function print(title: string, t: Map<string, Figures>): void {
  let rss = 0;
  let pss = 0;
  let uss = 0;
  console.log(`  ${title}`);
  for (const [name, f] of t) {
    rss += f.rss;
    pss += f.pss;
    uss += f.uss;
    console.log(
      `    ${name.padEnd(12)} RSS ${f.rss.toFixed(1).padStart(6)}  PSS ${f.pss.toFixed(1).padStart(6)}  USS ${f.uss.toFixed(1).padStart(6)} MB`
    );
  }
  console.log(
    `    ${'all'.padEnd(12)} RSS ${rss.toFixed(1).padStart(6)}  PSS ${pss.toFixed(1).padStart(6)}  USS ${uss.toFixed(1).padStart(6)} MB`
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(peer: Peer): Promise<void> {
  const env = { JUPYTER_DATA_DIR: '/tmp/warren-bench-data', WARREN_NO_HISTORY: '1' };
  const cwd = mkdtempSync(join(tmpdir(), 'warren-bench-memory-'));
  console.log(peer.name);
  const latencies: number[] = [];
  for (let run = 0; run < runs; run++) {
    const t = performance.now();
    // A compiler of this kernel's own (a user's kernels share one): its
    // supervisor started it, to run on its own; counted with its tree.
    const own = {
      ...env,
      WARREN_COMPILER_DIR: mkdtempSync(join(tmpdir(), 'warren-bench-compiler-'))
    };
    const k = await KernelClient.launch(peer.argv, { env: own, cwd });
    latencies.push((k.readyAt ?? NaN) - t);
    try {
      if (run > 0) continue;
      await sleep(settleMs);
      print(
        `${settleMs / 1000} s after kernel_info`,
        tree(k.pid!, compilersIn(own.WARREN_COMPILER_DIR))
      );
      await sleep(idleMs);
      print(
        `${(settleMs + idleMs) / 1000} s after kernel_info`,
        tree(k.pid!, compilersIn(own.WARREN_COMPILER_DIR))
      );
      for (const cell of peer.cells) {
        const { reply } = await k.execute(cell);
        if (reply.content.status !== 'ok') throw new Error(JSON.stringify(reply.content));
      }
      print(
        `just after ${peer.cells.length} cells`,
        tree(k.pid!, compilersIn(own.WARREN_COMPILER_DIR))
      );
      await sleep(idleMs);
      print(
        `${idleMs / 1000} s after ${peer.cells.length} cells`,
        tree(k.pid!, compilersIn(own.WARREN_COMPILER_DIR))
      );
      if (soak) {
        for (let i = 1; i <= soak; i++) await k.execute(peer.soak(i));
        print(
          `just after ${soak} more distinct cells`,
          tree(k.pid!, compilersIn(own.WARREN_COMPILER_DIR))
        );
        await sleep(idleMs);
        print(`${idleMs / 1000} s later`, tree(k.pid!, compilersIn(own.WARREN_COMPILER_DIR)));
      }
    } finally {
      await k.shutdown();
    }
  }
  console.log(
    `  launch to kernel_info_reply: median ${median(latencies).toFixed(0)} ms (${latencies.map((l) => l.toFixed(0)).join(', ')})`
  );
}

async function main(): Promise<void> {
  const only = process.argv.includes('--warren') ? PEERS.slice(0, 1) : PEERS;
  for (const peer of only) await measure(peer);
}

void main().then(() => process.exit(0));
