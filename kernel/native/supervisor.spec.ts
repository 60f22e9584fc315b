/**
 * The native supervisor (supervisor.c, as the build compiled it) with a
 * kernel that is a shell script: what it makes of a kernel's notes, its
 * stderr and its death, and of signals. test/supervisor.test.ts has it run
 * the real kernel.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive } from '../pids';
import type { Death } from '../io/afterlife';
import { deathReason } from '../io/afterlife';

const SUPERVISOR = join(__dirname, '..', '..', 'lib', 'kernel', 'native', 'warren-supervisor');

let folder: string;
beforeEach(() => (folder = mkdtempSync(join(tmpdir(), 'warren-supervisor-spec-'))));

/**
 * The supervisor running `script` as its kernel (sh, given the script, then
 * `kernel-process` and the arguments, as Node would be given the CLI).
 */
function supervise(script: string, env: NodeJS.ProcessEnv = {}) {
  const file = join(folder, 'kernel.sh');
  writeFileSync(file, script);
  const child = spawn(SUPERVISOR, ['/bin/sh', file, '-f', 'connection.json'], {
    cwd: folder,
    env: { ...process.env, TMPDIR: folder, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
    const t0 = Date.now();
    child.once('exit', (code) => resolve({ code, ms: Date.now() - t0 }));
  });
  return { child, exited, stderr: () => stderr };
}

async function until(test: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

const pidOf = (file: string) => Number(readFileSync(file, 'utf8'));

afterEach(() => {
  // A kernel a failed test left running.
  const pid = join(folder, 'pid');
  if (existsSync(pid) && alive(pidOf(pid))) process.kill(pidOf(pid), 'SIGKILL');
  const floods = join(folder, 'floods');
  if (!existsSync(floods)) return;
  for (const flood of readFileSync(floods, 'utf8').split('\n').filter(Boolean).map(Number))
    if (alive(flood)) process.kill(flood, 'SIGKILL');
});

describe('the native supervisor', () => {
  test("leaves the next kernel the death as it saw it: signal, heap limit, stderr's end and each request still owed, once", async () => {
    const request = (id: string) =>
      JSON.stringify({
        msgId: id,
        header: JSON.stringify({ msg_id: id, msg_type: 'execute_request' }),
        identities: ['aWQ=']
      });
    const notes = [
      ['H', '512'],
      ['R', JSON.stringify('one'), request('one')],
      ['R', JSON.stringify('two'), request('two')],
      ['A', JSON.stringify('one')],
      ['R', JSON.stringify('three'), '{"cut short'],
      ['R', JSON.stringify('two'), request('two')]
    ]
      .map((fields) => fields.join('\t'))
      .join('\n');
    writeFileSync(join(folder, 'notes'), `${notes}\n`);
    const { exited } = supervise(`
if [ -n "$WARREN_AFTERLIFE" ]; then
  cp "$WARREN_AFTERLIFE" afterlife.json
  printf '%s\\n' "$1 $2 $WARREN_SUPERVISOR_PID" > args
  exit 0
fi
cat notes >&3
printf 'a "quoted" line\\tand a tab\\n\\001\\377 FATAL ERROR: Reached heap limit\\n' >&2
kill -ABRT $$
`);
    expect((await exited).code).toBe(0);
    const death = JSON.parse(readFileSync(join(folder, 'afterlife.json'), 'utf8')) as Death;
    expect(death).toMatchObject({ code: null, signal: 'SIGABRT', heapLimitMb: 512 });
    expect(death.stderr).toContain('a "quoted" line\tand a tab\n\u0001\ufffd FATAL ERROR');
    expect(death.pending.map((p) => p.msgId)).toEqual(['two']);
    expect(deathReason(death)).toMatch(/ran out of memory.*limit of 512 MB/);
    // The new kernel gets the same arguments, after `kernel-process`.
    expect(readFileSync(join(folder, 'args'), 'utf8').split(' ').slice(0, 2)).toEqual([
      'kernel-process',
      '-f'
    ]);
  }, 20_000);

  test('a kernel that dies at once, before any request, is not started again', async () => {
    const { exited, stderr } = supervise('echo started >> starts; kill -KILL $$');
    expect((await exited).code).toBe(1);
    expect(readFileSync(join(folder, 'starts'), 'utf8')).toBe('started\n');
    expect(stderr()).toMatch(/died again at once: giving up/);
  }, 20_000);

  test('ends on SIGTERM while its kernel floods stderr and ignores SIGTERM: SIGKILL after 5 s', async () => {
    const { child, exited } = supervise(`
echo $$ > pid
trap '' TERM
for i in 1 2 3 4; do yes flood >&2 & echo $! >> floods; done
wait
`);
    // A reader slower than the flood, as a terminal or a log is: the pipe stays full.
    const stderr = child.stderr as NonNullable<ChildProcess['stderr']>;
    stderr.removeAllListeners('data');
    const slow = setInterval(() => stderr.read(16384), 2);
    await until(() => existsSync(join(folder, 'pid')), 5000);
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    const { code, ms } = await exited;
    clearInterval(slow);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(9000);
    expect(alive(pidOf(join(folder, 'pid')))).toBe(false);
  }, 20_000);

  test('passes SIGINT on to its kernel as a byte on fd 4', async () => {
    const { child, exited } = supervise(`
echo $$ > pid
head -c 1 <&4 > interrupted
`);
    await until(() => existsSync(join(folder, 'pid')), 5000);
    child.kill('SIGINT');
    expect((await exited).code).toBe(0);
    expect(readFileSync(join(folder, 'interrupted'), 'utf8')).toBe('i');
  }, 20_000);
});
