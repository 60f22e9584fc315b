/**
 * Kernel benchmarks against peers, all in one run: warren, ipykernel 7.4 (pip,
 * the stock Jupyter in .venv), ipykernel 6.17 (Debian)
 * and tslab (npm). Prints medians and warren's ratio to each peer.
 *
 *   npm run bench            # everything
 *   node lib/bench/kernel.js --quick
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelClient } from '../kernel/client/client';
import { compilersIn } from '../kernel/engines/typescript/compiler-socket';
import { comparePeers, ipykernelArgv, median, ROOT, rssMB, WARREN_ARGV } from './measure';
import type { Row } from './measure';

const quick = process.argv.includes('--quick');

interface Peer {
  name: string;
  argv: string[];
  /** How an interrupt reaches it: warren takes interrupt_request, the others SIGINT to the group (jupyter_client's signal mode). */
  interrupt: 'message' | 'signal';
  shell: boolean;
  python?: boolean;
}

const PEERS: Peer[] = [
  {
    name: 'warren',
    argv: WARREN_ARGV,
    interrupt: 'message',
    shell: true
  },
  {
    // The current peer: the stock Jupyter's ipykernel, in .venv (npm test's set-up makes it).
    name: 'ipykernel 7.4',
    argv: ipykernelArgv(),
    interrupt: 'signal',
    shell: true,
    python: true
  },
  {
    name: 'ipykernel 6.17',
    argv: ipykernelArgv('/usr/bin/python3'),
    interrupt: 'signal',
    shell: true,
    python: true
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
    interrupt: 'signal',
    shell: false
  }
];

async function interrupt(k: KernelClient, peer: Peer): Promise<void> {
  if (peer.interrupt === 'message') await k.call('control', 'interrupt_request', {});
  else k.kill('SIGINT');
}

async function measure(peer: Peer): Promise<Row> {
  const row: Row = {};
  const env = { JUPYTER_DATA_DIR: '/tmp/warren-bench-data', WARREN_NO_HISTORY: '1' };
  // Launch to kernel_info_reply, from process start: median of several.
  const launches: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < (quick ? 3 : 5); i++) {
    const t0 = performance.now();
    // A compiler of this kernel's own, counted with it (its supervisor starts
    // it, to run on its own).
    const compilers = mkdtempSync(join(tmpdir(), 'warren-bench-compiler-'));
    const k = await KernelClient.launch(peer.argv, {
      env: { ...env, WARREN_COMPILER_DIR: compilers }
    });
    launches.push(((k.readyAt ?? performance.now()) - t0) / 1000);
    rss.push(rssMB(k.pid, compilersIn(compilers)));
    await k.shutdown();
  }
  row['launch to kernel_info (s)'] = median(launches);
  row['RSS at kernel_info (MB)'] = median(rss);

  const compilers = mkdtempSync(join(tmpdir(), 'warren-bench-compiler-'));
  const k = await KernelClient.launch(peer.argv, {
    env: { ...env, WARREN_COMPILER_DIR: compilers }
  });
  try {
    await measureRunning(k, peer, row, () => compilersIn(compilers));
  } catch (error) {
    // A peer that loses a reply or an idle (tslab does under load) keeps the figures it had.
    row['failed at'] = `${Object.keys(row).length} figures in: ${String(error).split('\n')[0]}`;
    k.kill();
    k.close();
    return row;
  }
  await k.shutdown();
  return row;
}

async function measureRunning(
  k: KernelClient,
  peer: Peer,
  row: Row,
  compilers: () => number[]
): Promise<void> {
  await k.execute('1+1');
  await new Promise((r) => setTimeout(r, 3000));
  row['RSS settled, after a cell (MB)'] = rssMB(k.pid, compilers());

  const rt: number[] = [];
  for (let i = 0; i < (quick ? 50 : 300); i++) {
    const t = performance.now();
    await k.execute('1+1');
    rt.push(performance.now() - t);
  }
  row['1+1 round trip (ms)'] = median(rt);

  if (peer.shell) {
    const echo: number[] = [];
    for (let i = 0; i < (quick ? 10 : 40); i++) {
      const t = performance.now();
      const { iopub } = await k.execute('!echo hi');
      echo.push(performance.now() - t);
      if (
        !iopub.some((m) => m.header.msg_type === 'stream' && String(m.content.text).includes('hi'))
      )
        throw new Error(`${peer.name}: !echo printed nothing`);
    }
    row['!echo hi (ms)'] = median(echo);
    // 50 MB of bytes as base64 is 67.5 MB of text.
    const t = performance.now();
    const { iopub } = await k.execute('!head -c 50000000 /dev/zero | base64', {}, 600000);
    const secs = (performance.now() - t) / 1000;
    const bytes = iopub
      .filter((m) => m.header.msg_type === 'stream')
      .reduce((n, m) => n + String(m.content.text).length, 0);
    row['67.5 MB through ! (MB/s)'] = bytes / 1e6 / secs;
    row['  of which arrived (MB)'] = bytes / 1e6;
    const sleepers: number[] = [];
    for (let i = 0; i < 5; i++) {
      const running = k.execute('!sleep 30', { stop_on_error: false });
      await new Promise((r) => setTimeout(r, 300));
      const t1 = performance.now();
      await interrupt(k, peer);
      const { reply } = await running;
      sleepers.push(performance.now() - t1);
      row['interrupted !sleep replies'] = String(reply.content.status);
    }
    row['interrupt !sleep 30 (ms)'] = median(sleepers);
  }
  const busy: number[] = [];
  const loop = peer.python ? 'while True: pass' : 'while (true) {}';
  for (let i = 0; i < 5; i++) {
    const running = k.execute(loop, { stop_on_error: false });
    await new Promise((r) => setTimeout(r, 300));
    const t1 = performance.now();
    await interrupt(k, peer);
    await running;
    busy.push(performance.now() - t1);
  }
  row['interrupt a busy loop (ms)'] = median(busy);

  if (!quick) {
    // Soak: 10,000 cells; memory should stay flat.
    const at: number[] = [rssMB(k.pid, compilers())];
    const t = performance.now();
    for (let i = 1; i <= 10000; i++) {
      await k.execute(peer.python ? `x = ${i}` : `${i} * 2`);
      if (i % 5000 === 0) at.push(rssMB(k.pid, compilers()));
    }
    row['10k cells (s)'] = (performance.now() - t) / 1000;
    row['RSS at 0 / 5k / 10k cells (MB)'] = at.map((x) => x.toFixed(0)).join(' / ');
  }
}

async function main(): Promise<void> {
  await comparePeers(PEERS, measure);
}

void main().then(() => process.exit(0));
