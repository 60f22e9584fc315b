import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalSite } from './site';
import { SshHostBackend } from './sshhost';
import type { RunRecord } from './types';

function recordIn(dir: string, pid: number): RunRecord {
  return { id: 'r1', remoteDir: dir, jobId: String(pid) } as RunRecord;
}

test('a run whose process is gone before it wrote any state has failed, not pending', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-run-'));
  const gone = spawnSync('true').pid;
  const seen = await new SshHostBackend(new LocalSite()).state(recordIn(dir, gone));
  expect(seen).toEqual({
    state: 'failed',
    message: `process ${gone} is gone before the run started (see its log)`
  });
});

test('a run whose process lives and wrote no state yet is pending; one that ended says how', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-run-'));
  const backend = new SshHostBackend(new LocalSite());
  expect((await backend.state(recordIn(dir, process.pid))).state).toBe('pending');
  writeFileSync(join(dir, 'state'), 'completed\n');
  writeFileSync(join(dir, 'exitcode'), '0\n');
  const gone = spawnSync('true').pid;
  expect(await backend.state(recordIn(dir, gone))).toEqual({
    state: 'completed',
    message: `pid ${gone}: completed exit 0`
  });
});

test('a run cancelled before it wrote any state is cancelled, not failed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-run-'));
  writeFileSync(join(dir, 'cancel-requested'), '');
  const gone = spawnSync('true').pid;
  expect(await new SshHostBackend(new LocalSite()).state(recordIn(dir, gone))).toEqual({
    state: 'cancelled',
    message: `pid ${gone}: cancelled before it started`
  });
});
