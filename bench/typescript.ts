/**
 * The TypeScript engine against Python's: warren's typed cells beside the same
 * shape of cell in ipykernel 7.4 (the stock Jupyter in .venv) and in tslab, in
 * one run. Prints medians and warren's ratio to each peer.
 *
 *   npm run bench:typescript              # 300 distinct cells, RSS at 1,000
 *   node lib/bench/typescript.js --soak   # and RSS at 10,000 distinct cells
 *
 * Goals (issue "The TypeScript engine at Python's speed and memory"): first
 * typed cell <= 0.25 s after kernel_info_reply; a distinct typed cell no slower
 * than ipykernel's (ratio <= 1.0); RSS <= 120 MB after the first typed cell and
 * flat (+-10 %) from 1,000 to 10,000 cells.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelClient } from '../kernel/client/client';
import { comparePeers, median, rssMB } from './measure';
import type { Row } from './measure';

const ROOT = join(__dirname, '..', '..');
const soak = process.argv.includes('--soak');
const distinct = Number(process.env.CELLS) || 300;

interface Peer {
  name: string;
  argv: string[];
  /** The cell `i`: a typed declaration and an expression that reads it. */
  cell(i: number): string;
}

const tsCell = (i: number) => `const vox${i}: number[] = [1, ${i}]; vox${i}.length + 1`;

const PEERS: Peer[] = [
  {
    name: 'warren',
    argv: [
      process.execPath,
      join(ROOT, 'lib', 'kernel', 'cli', 'warren.js'),
      'kernel',
      '-f',
      '{connection_file}'
    ],
    cell: tsCell
  },
  {
    name: 'ipykernel 7.4',
    argv: [
      join(ROOT, '.venv', 'bin', 'python'),
      '-m',
      'ipykernel_launcher',
      '-f',
      '{connection_file}'
    ],
    cell: (i) => `vox${i}: list[int] = [1, ${i}]; len(vox${i}) + 1`
  },
  {
    name: 'tslab',
    argv: [
      process.execPath,
      join(ROOT, 'node_modules', 'tslab', 'bin', 'tslab'),
      'kernel',
      '--config-path',
      '{connection_file}'
    ],
    cell: tsCell
  }
];

/**
 * Where the kernels run: a notebook's folder with no node_modules of its own
 * (BENCH_FOLDER=. runs them in this repository, whose 52 @types packages
 * tslab checks into every cell: it then answers no cell within a minute).
 */
const folder =
  process.env.BENCH_FOLDER ?? mkdtempSync(join(tmpdir(), 'warren-bench-notebook-'));

async function measure(peer: Peer): Promise<Row> {
  const row: Row = {};
  const env = { JUPYTER_DATA_DIR: '/tmp/warren-bench-data', WARREN_NO_HISTORY: '1' };
  const options = { env, cwd: folder };
  const firsts: number[] = [];
  for (let run = 0; run < 3; run++) {
    const k = await KernelClient.launch(peer.argv, options);
    try {
      const t = performance.now();
      const { reply } = await k.execute(peer.cell(0));
      if (reply.content.status !== 'ok')
        throw new Error(`${peer.name}: ${JSON.stringify(reply.content)}`);
      firsts.push((performance.now() - t) / 1000);
      if (run === 0) row['RSS after the first typed cell (MB)'] = rssMB(k.pid);
    } finally {
      await k.shutdown();
    }
  }
  row['first typed cell after kernel_info (s)'] = median(firsts);

  const k = await KernelClient.launch(peer.argv, options);
  try {
    const times: number[] = [];
    let i = 1;
    for (; i <= distinct; i++) {
      const t = performance.now();
      await k.execute(peer.cell(i));
      times.push(performance.now() - t);
    }
    row['distinct typed cell (ms)'] = median(times);
    row[`RSS after ${distinct} cells (MB)`] = rssMB(k.pid);
    for (; i <= 1000; i++) await k.execute(peer.cell(i));
    row['RSS after 1,000 cells (MB)'] = rssMB(k.pid);
    if (soak) {
      for (; i <= 10000; i++) await k.execute(peer.cell(i));
      row['RSS after 10,000 cells (MB)'] = rssMB(k.pid);
      row['RSS 10,000 / 1,000'] =
        row['RSS after 10,000 cells (MB)'] / row['RSS after 1,000 cells (MB)'];
    }
  } finally {
    await k.shutdown();
  }
  return row;
}

async function main(): Promise<void> {
  await comparePeers(PEERS, measure);
}

void main().then(() => process.exit(0));
