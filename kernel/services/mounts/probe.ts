import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { mountAt } from '../../mountinfo';
import { alive } from '../../pids';
import { which } from './exec';

export type Probe = { state: 'ok' } | { state: 'stale'; message: string } | { state: 'missing' };

/**
 * Probes in flight, by mount (path and the kernel's mount id: a remount on
 * the same path is another mount): a later probe of the same mount joins
 * the one running.
 */
const running = new Map<string, Promise<Probe>>();

/**
 * Probe processes that a SIGKILL did not end, by mount: a request the daemon
 * took and never answers (its connection hangs) holds them until it does.
 * While one waits, the mount is stale without another look.
 */
const stuck = new Map<string, number>();

/**
 * Whether the volume on `path` answers. A FUSE mount whose daemon died still
 * sits in mountinfo, and every access fails with ENOTCONN ("Transport endpoint
 * is not connected"); a hung network mount (a stopped sshfs) may not answer
 * at all. The look is a `stat` in a process of its own, killed past
 * `timeoutMs`: a stat in this process held one of libuv's four file threads
 * until the volume answered, perhaps never, and after a few probes of a hung
 * volume no file operation of the kernel (a cell's readFile, the remount
 * that would heal it) ran again.
 */
export function probe(path: string, timeoutMs = 3000): Promise<Probe> {
  const entry = mountAt(path);
  if (!entry) return Promise.resolve({ state: 'missing' });
  const key = `${entry.id}\0${path}`;
  const joined = running.get(key);
  if (joined) return joined;
  const waiting = stuck.get(key);
  if (waiting !== undefined) {
    if (alive(waiting))
      return Promise.resolve({
        state: 'stale',
        message: `no answer from ${path}: an earlier look (pid ${waiting}) still waits on it`
      });
    stuck.delete(key);
  }
  const look = statInChild(path, timeoutMs, key).finally(() => running.delete(key));
  running.set(key, look);
  return look;
}

function statInChild(path: string, timeoutMs: number, key: string): Promise<Probe> {
  const program = which('stat');
  // No stat program (never seen on Linux): the look in this process, joined per mount above.
  if (!program) return statHere(path, timeoutMs);
  return new Promise((resolve) => {
    let stderr = '';
    let done = false;
    // Its own process group: an interrupt sent to the kernel's group is not a failed look.
    const child = spawn(program, ['-c', '%i', '--', path], {
      cwd: '/',
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' }
    });
    const finish = (result: Probe | Promise<Probe>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      try {
        child.kill('SIGKILL');
      } catch {
        // gone
      }
      // A request the daemon already took holds the process past a SIGKILL.
      const pid = child.pid;
      setTimeout(() => {
        if (pid !== undefined && child.exitCode === null && child.signalCode === null) {
          stuck.set(key, pid);
          child.once('exit', () => {
            if (stuck.get(key) === pid) stuck.delete(key);
          });
          child.unref();
        }
      }, 500).unref();
      finish({ state: 'stale', message: `no answer from ${path} in ${timeoutMs} ms` });
    }, timeoutMs);
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', () => finish(statHere(path, timeoutMs)));
    child.once('close', (code) => {
      if (code === 0) return finish({ state: 'ok' });
      if (code === null) return finish({ state: 'stale', message: `no answer from ${path}` });
      finish({ state: 'stale', message: describe(stderr) });
    });
  });
}

/** stat(1)'s complaint, as the errno's words: `stat: cannot statx '/x': Transport endpoint is not connected`. */
function describe(stderr: string): string {
  const line = stderr.trim().split('\n')[0] ?? '';
  if (/Transport endpoint is not connected/.test(line))
    return 'Transport endpoint is not connected (the FUSE daemon is gone)';
  // The look was waiting when the daemon's connection was torn down.
  if (/Software caused connection abort/.test(line))
    return 'Software caused connection abort (the FUSE daemon is gone)';
  return line.replace(/^stat: cannot stat\S* '.*?': /, '') || 'stat failed';
}

/** The look in this process; it holds a file thread while the volume hangs. */
async function statHere(path: string, timeoutMs: number): Promise<Probe> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Probe>((ok) => {
    timer = setTimeout(
      () => ok({ state: 'stale', message: `no answer from ${path} in ${timeoutMs} ms` }),
      timeoutMs
    );
  });
  const check = stat(path).then(
    (): Probe => ({ state: 'ok' }),
    (error: NodeJS.ErrnoException): Probe => ({
      state: 'stale',
      message:
        error.code === 'ENOTCONN'
          ? 'Transport endpoint is not connected (the FUSE daemon is gone)'
          : `${error.code ?? 'error'}: ${error.message}`
    })
  );
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
