/**
 * The browser tests' own lab: stopping it must leave nothing running, or every
 * test run leaves a JupyterLab server behind (start.js runs the server in a
 * process group of its own, out of reach of a signal to start.js's group).
 */
import { readFileSync } from 'node:fs';
import { alive } from '../../kernel/pids';
import { descendants } from '../../kernel/services/processes';
import { startLab } from './harness';

jest.setTimeout(300000);

/** The command line of a process, as ps shows it. */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

test('stopping a lab whose server hangs leaves none of its processes running', async () => {
  const lab = await startLab();
  const starter = findStarter(lab.root);
  expect(starter).toBeGreaterThan(0);
  const tree = [starter, ...descendants(starter)];
  const server = tree.find((pid) => /jupyter.*lab/.test(commandLine(pid)));
  expect(server).toBeDefined();
  // A server that does not answer SIGTERM (as a slow shutdown looks to start.js).
  process.kill(server as number, 'SIGSTOP');
  try {
    await lab.stop();
    const left = tree.filter((pid) => alive(pid));
    expect(left.map((pid) => `${pid} ${commandLine(pid)}`)).toEqual([]);
  } finally {
    for (const pid of tree) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
  }
});

/** The start.js process this test's lab runs under: a child of this process whose command names the lab's root. */
function findStarter(root: string): number {
  const mine = descendants(process.pid).filter((pid) => {
    const cmd = commandLine(pid);
    return cmd.includes('scripts/start.js') && cmd.includes(root);
  });
  return mine[0] ?? 0;
}
