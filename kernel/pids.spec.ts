import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, startTicks } from './pids';

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

describe('when a process started', () => {
  test('from its stat past a name holding ") ": the 22nd field; none for a process that is gone', () => {
    const root = mkdtempSync(join(tmpdir(), 'warren-proc-'));
    mkdirSync(join(root, '42'));
    const fields = Array.from({ length: 20 }, (_, i) => String(i + 3));
    fields[19] = '987654';
    writeFileSync(join(root, '42', 'stat'), `42 (a) b) ${fields.join(' ')} 0 0`);
    expect(startTicks(42, root)).toBe(987654);
    expect(startTicks(43, root)).toBeNull();
    expect(startTicks(spawnSync('true').pid)).toBeNull();
  });

  test('this process: the start /proc/self/stat gives, the same at each read', () => {
    const mine = startTicks(process.pid);
    expect(mine).toEqual(expect.any(Number));
    expect(startTicks(process.pid)).toBe(mine);
    expect(Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[19])).toBe(
      startTicks(process.pid)
    );
  });
});
