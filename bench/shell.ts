/**
 * Shell throughput: 67.5 MB of base64 text through `!`, in one run, against
 * ipykernel's `!` and against the floors set below the kernel: the shell
 * engine with no wire, node-pty with nothing done to the data, and a Python
 * reader of a bare pty (os.read in a loop). The floors say how much of the
 * time is the pseudo-terminal's own: a kernel cannot stream faster than its
 * pty can be read.
 *
 *   npm run build:kernel && node lib/bench/shell.js [--runs 5] [--no-ipykernel]
 *
 * Two producers: `cat` of the text from a file (large writes), and
 * `head -c 50000000 /dev/zero | base64` (on a terminal, base64's stdio is line
 * buffered: one 77-byte write per line).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelClient } from '../kernel/client/client';
import type { OutputSink } from '../kernel/engines/engine';
import { spawnPty } from '../kernel/engines/shell/pty';
import { ShellEngine } from '../kernel/engines/shell/shell';
import { ipykernelArgv, median, ROOT, WARREN_ARGV } from './measure';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const RUNS = Number(arg('--runs', '3'));
// ipykernel 7.4 from the stock Jupyter in .venv, the current peer.
const PYTHON = arg('--python', join(ROOT, '.venv', 'bin', 'python'));
const withIpykernel =
  !process.argv.includes('--no-ipykernel') &&
  spawnSync(PYTHON, ['-c', 'import ipykernel'], { stdio: 'ignore' }).status === 0;

/** The text `base64` prints for 50 MB of zero bytes: 76 columns and a newline. */
function makeFile(): string {
  const file = join(tmpdir(), 'warren-bench-67mb.b64');
  const b64 = Buffer.alloc(50_000_000).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

interface Sample {
  /** Characters of text received (a pty's \r\n counts as one). */
  chars: number;
  secs: number;
}

/** node-pty reading the command's terminal and nothing else. */
function ptyAlone(command: string): Promise<Sample> {
  return new Promise((done) => {
    const t = performance.now();
    const p = spawnPty('/bin/sh', ['-c', command], {
      cwd: process.cwd(),
      env: process.env as Record<string, string>,
      cols: 120,
      rows: 40
    });
    // Held open as the shell engine does, so the end is not lost to the hang-up.
    const release = p.holdOpen();
    let chars = 0;
    let last = t;
    p.onData((d) => {
      chars += d.length - Private.count(d, '\r');
      last = performance.now();
    });
    const watch = setInterval(() => {
      try {
        process.kill(p.pid, 0);
      } catch {
        if (performance.now() - last > 2) {
          clearInterval(watch);
          release();
        }
      }
    }, 1);
    p.onExit(() => done({ chars, secs: (last - t) / 1000 }));
  });
}

/** The shell engine (pty, terminal renderer, coalescing) into a sink that only counts. */
async function engineAlone(command: string): Promise<Sample> {
  const engine = new ShellEngine();
  let chars = 0;
  const sink: OutputSink = {
    stream: (_name, text) => void (chars += text.length),
    display: () => undefined,
    clear: () => undefined,
    page: () => undefined,
    input: () => Promise.resolve(''),
    room: () => null
  } as OutputSink;
  const t = performance.now();
  await engine.run(command, sink, 'sh');
  return { chars, secs: (performance.now() - t) / 1000 };
}

/** A Python process reading a bare pty in a loop: the terminal's own ceiling. */
function pythonPty(command: string): Sample | null {
  const script = [
    'import os, pty, sys, time',
    't = time.time()',
    'pid, fd = pty.fork()',
    "if pid == 0: os.execvp('sh', ['sh', '-c', sys.argv[1]])",
    'n = 0',
    'while True:',
    '    try: b = os.read(fd, 65536)',
    '    except OSError: break',
    '    if not b: break',
    "    n += len(b) - b.count(b'\\r')",
    'print(n, time.time() - t)'
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script, command], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const [chars, secs] = r.stdout.trim().split(' ').map(Number);
  return { chars, secs };
}

async function kernel(argv: string[], command: string, runs: number): Promise<Sample[]> {
  const k = await KernelClient.launch(argv);
  try {
    await k.execute('1+1');
    // Let a kernel finish starting (warren loads its compiler 1.5 s in).
    await new Promise((r) => setTimeout(r, 3000));
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const { iopub, reply } = await k.execute(`!${command}`, {}, 600_000);
      const secs = (performance.now() - t) / 1000;
      if (reply.content.status !== 'ok') throw new Error(`!${command}: ${reply.content.status}`);
      const chars = iopub
        .filter((m) => m.header.msg_type === 'stream')
        .reduce((n, m) => {
          // ipykernel passes the pty's \r\n through; warren's renderer makes it \n.
          const text = String(m.content.text);
          return n + text.length - Private.count(text, '\r');
        }, 0);
      samples.push({ chars, secs });
    }
    return samples;
  } finally {
    await k.shutdown();
  }
}

async function main(): Promise<void> {
  const file = makeFile();
  // 877,193 lines of 76 characters, each with its newline.
  const expected = 67_543_861;
  const producers = [`cat ${file}`, 'head -c 50000000 /dev/zero | base64'];
  const rows: string[] = [];
  const show = (producer: string, who: string, samples: (Sample | null)[]) => {
    const ok = samples.filter((s): s is Sample => s !== null);
    if (ok.length === 0) return null;
    const rate = median(ok.map((s) => s.chars / 1e6 / s.secs));
    const lost = ok.filter((s) => s.chars !== expected).length;
    rows.push(
      `${producer.startsWith('cat') ? 'cat file' : 'head | base64'} | ${who} | ${rate.toFixed(1)} MB/s | ` +
        `${ok.length} run(s)${lost ? `, ${lost} incomplete (${ok.map((s) => s.chars).join(', ')} chars)` : ', complete'}`
    );
    return rate;
  };
  for (const producer of producers) {
    process.stderr.write(`${producer}...\n`);
    const py: (Sample | null)[] = [];
    const alone: Sample[] = [];
    const engine: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      py.push(pythonPty(producer));
      alone.push(await ptyAlone(producer));
      engine.push(await engineAlone(producer));
    }
    const pyRate = show(producer, 'bare pty, Python os.read loop', py);
    const aloneRate = show(producer, 'node-pty alone, data dropped', alone);
    show(producer, 'warren shell engine, no wire', engine);
    const w = show(producer, 'warren kernel `!`', await kernel(WARREN_ARGV, producer, RUNS));
    let ipy: number | null = null;
    if (withIpykernel) {
      try {
        ipy = show(producer, 'ipykernel `!`', await kernel(ipykernelArgv(PYTHON), producer, 1));
      } catch (error) {
        rows.push(`${producer} | ipykernel | ${String(error)}`);
      }
    }
    if (w !== null) {
      const ratio = (x: number | null, name: string) =>
        x ? `warren/${name} ${(w / x).toFixed(2)}x` : null;
      rows.push(
        '  ratios: ' +
          [ratio(ipy, 'ipykernel'), ratio(aloneRate, 'node-pty'), ratio(pyRate, 'bare pty')]
            .filter(Boolean)
            .join(', ')
      );
    }
  }
  console.log(
    `67.5 MB of base64 text (${expected} characters), medians of ${RUNS} runs` +
      (withIpykernel ? ' (ipykernel: 1)' : ' (no ipykernel here)')
  );
  console.log('producer | reader | throughput | runs');
  for (const r of rows) console.log(r);
}

namespace Private {
  /** How many times `c` occurs in `s` (a pty turns each newline into \r\n). */
  export function count(s: string, c: string): number {
    let n = 0;
    for (let i = s.indexOf(c); i >= 0; i = s.indexOf(c, i + 1)) n++;
    return n;
  }
}

void main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  }
);
