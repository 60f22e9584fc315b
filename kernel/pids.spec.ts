import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive } from './pids';

describe('whether a process is alive', () => {
  test('this process is; a process that ended and was reaped is not', () => {
    expect(alive(process.pid)).toBe(true);
    const gone = spawnSync('true').pid;
    expect(alive(gone)).toBe(false);
  });

  test('an ended process nobody reaped yet (a zombie) is not', async () => {
    const child = spawn('true');
    // Node reaps on SIGCHLD in its loop: until then the child is a zombie.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      if (/\) Z /.test(readFileSync(`/proc/${child.pid}/stat`, 'utf8'))) break;
    }
    expect(alive(child.pid!)).toBe(false);
    await new Promise((r) => child.on('exit', r));
  });

  test('a command name holding ") " is read past', () => {
    const root = mkdtempSync(join(tmpdir(), 'warren-proc-'));
    mkdirSync(join(root, '42'));
    writeFileSync(join(root, '42', 'stat'), '42 (odd) Z name) S 1 42 42 0 -1');
    expect(alive(42, root)).toBe(true);
    writeFileSync(join(root, '42', 'stat'), '42 (odd) S name) Z 1 42 42 0 -1');
    expect(alive(42, root)).toBe(false);
  });

  test('no pid, or not a pid, is not alive', () => {
    expect(alive(0)).toBe(false);
    expect(alive(-1)).toBe(false);
    expect(alive(1.5)).toBe(false);
  });
});
