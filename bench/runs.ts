/**
 * Cluster benchmarks on a one-node Slurm on 127.0.0.1 (scripts/slurm-up.sh),
 * all in one run:
 * - map: N short commands as `warren map` arrays in chunks against one `sbatch`
 *   per command (what TBSS-style scripts do): scheduler jobs and total time;
 * - runner: `warren run`'s time per cell over the kernel's own, for warren's kernel.
 *
 *   node lib/bench/runs.js [--commands 1000] [--chunk 50] [--cells 200]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelClient } from '../kernel/client/client';
import { MapRunner } from '../kernel/services/cluster/map';
import { RunStore } from '../kernel/services/cluster/store';
import { NotebookRunner } from '../kernel/services/runner/runner';
import { WARREN_ARGV } from './measure';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'lib', 'kernel', 'cli', 'warren.js');
const arg = (name: string, d: number) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : d;
};

function sh(script: string, args: string[]): string {
  return execFileSync('bash', [join(ROOT, 'scripts', script), ...args], {
    encoding: 'utf8'
  }).trim();
}

async function until(probe: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 1800000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function benchMap(conf: string, n: number, chunk: number): Promise<void> {
  const env = { SLURM_CONF: conf };
  const work = mkdtempSync(join(tmpdir(), 'warren-bench-map-'));
  const commands = Array.from({ length: n }, (_, i) => `echo ${i} > /dev/null`);
  const maps = new MapRunner(new RunStore(join(work, 'runs')));
  let t = performance.now();
  const record = await maps.submit({
    commands,
    chunk,
    profile: { name: 'bench', kind: 'slurm', workdir: join(work, 'map'), env }
  });
  const p = await maps.wait(record.id, { intervalMs: 200 });
  const mapS = (performance.now() - t) / 1000;
  if (p.done !== n || p.failed.length)
    throw new Error(`map: ${p.done}/${n} done, ${p.failed.length} failed`);
  const tasks = Math.ceil(n / chunk);

  // One sbatch per command, as a naive loop would do.
  const sbatch = join(work, 'sbatch');
  execFileSync('mkdir', ['-p', sbatch]);
  t = performance.now();
  for (let i = 0; i < n; i++)
    execFileSync(
      'sbatch',
      [
        '--parsable',
        '--job-name=bench-one',
        `--output=${sbatch}/%j.out`,
        `--wrap=echo ${i} > /dev/null`
      ],
      { env: { ...process.env, ...env } }
    );
  const submitS = (performance.now() - t) / 1000;
  await until(
    () =>
      execFileSync('squeue', ['-h', '-n', 'bench-one'], {
        encoding: 'utf8',
        env: { ...process.env, ...env }
      }).trim() === '',
    'sbatch loop'
  );
  const oneS = (performance.now() - t) / 1000;
  console.log(`map ${n} commands:`);
  console.log(`  warren map --chunk ${chunk}: ${tasks} array tasks, ${mapS.toFixed(1)} s`);
  console.log(
    `  one sbatch per command: ${n} jobs, ${oneS.toFixed(1)} s (submitting alone ${submitS.toFixed(1)} s)`
  );
  console.log(
    `  scheduler jobs ${(n / tasks).toFixed(0)}x fewer, time ${(oneS / mapS).toFixed(1)}x lower`
  );
}

async function benchRunner(cells: number): Promise<void> {
  const data = mkdtempSync(join(tmpdir(), 'warren-bench-data-'));
  execFileSync(process.execPath, [CLI, 'install'], {
    env: { ...process.env, JUPYTER_DATA_DIR: data }
  });
  process.env.JUPYTER_DATA_DIR = data;
  process.env.WARREN_NO_HISTORY = '1';
  const dir = mkdtempSync(join(tmpdir(), 'warren-bench-run-'));
  const nb = join(dir, 'cells.ipynb');
  const sources = Array.from({ length: cells }, (_, i) => `console.log(${i})`);
  writeFileSync(
    nb,
    JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: 'warren', display_name: 'warren', language: 'typescript' } },
      cells: sources.map((source, i) => ({
        id: `c${i}`,
        cell_type: 'code',
        source,
        metadata: {},
        outputs: [],
        execution_count: null
      }))
    })
  );
  // The kernel's own: the same cells through the client, nothing written.
  const client = await KernelClient.launch(WARREN_ARGV, {
    env: { JUPYTER_DATA_DIR: data, WARREN_NO_HISTORY: '1' }
  });
  await client.execute('0');
  let t = performance.now();
  for (const s of sources) await client.execute(s);
  const direct = (performance.now() - t) / cells;
  await client.shutdown();
  // The runner, launch and first cell excluded (the first loads the compiler, as '0' did above).
  let first = 0;
  const runner = new NotebookRunner({
    input: nb,
    output: join(dir, 'out.ipynb'),
    onEvent: (e) => {
      if (e.type === 'cell' && e.position === 1) first = performance.now();
      // The last cell's output, not the kernel's shutdown after it.
      if (e.type === 'output' && e.index === cells - 1) t = performance.now();
    }
  });
  await runner.run();
  const viaRunner = (t - first) / (cells - 1);
  console.log(`runner, ${cells} cells of console.log on warren's kernel:`);
  console.log(
    `  kernel alone ${direct.toFixed(2)} ms/cell, warren run ${viaRunner.toFixed(2)} ms/cell, overhead ${(viaRunner - direct).toFixed(2)} ms/cell`
  );
}

async function main(): Promise<void> {
  const slurm = mkdtempSync(join(tmpdir(), 'warren-bench-slurm-'));
  const conf = sh('slurm-up.sh', [slurm]);
  try {
    await benchMap(conf, arg('--commands', 1000), arg('--chunk', 50));
  } finally {
    sh('slurm-down.sh', [slurm]);
  }
  await benchRunner(arg('--cells', 200));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  }
);
