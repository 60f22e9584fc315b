import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JSONObject } from '../../src/contract';
import { MountManager, MountStore } from '../services/mounts';
import type { Comm } from './comm';
import { MountsCommTarget } from './mounts';

test('the panel sees a toolbox a volume brought as pending, and accepting it puts it in effect', async () => {
  const base = mkdtempSync(join(tmpdir(), 'warren-mounts-comm-'));
  const volume = join(base, 'vol');
  mkdirSync(join(volume, 'tb', 'bin'), { recursive: true });
  writeFileSync(join(volume, 'tb', 'bin', 'tool'), '#!/bin/sh\n', { mode: 0o755 });
  const store = new MountStore(join(base, 'config'));
  mkdirSync(store.dir, { recursive: true });
  const brought = { name: 'tb', root: join(volume, 'tb'), bin: ['bin'], env: { A: '1' } };
  writeFileSync(
    store.file,
    JSON.stringify({ version: 1, mounts: [], toolboxes: [], pending: [{ ...brought, volume }] })
  );
  const manager = new MountManager({ store });
  const target = new MountsCommTarget(manager, { intervalMs: 60000 });
  const sent: JSONObject[] = [];
  let onMessage: (data: JSONObject, buffers: Uint8Array[]) => void = () => undefined;
  const comm: Comm = {
    id: 'm1',
    targetName: 'warren.mounts',
    send: (d) => void sent.push(d),
    close: () => undefined,
    onMessage: (h) => (onMessage = h),
    onClose: () => undefined
  };
  const settle = () => new Promise((r) => setTimeout(r, 100));
  try {
    target.open(comm, {});
    await settle();
    const states = () => sent.filter((m) => m.type === 'state');
    expect(states().at(-1)).toMatchObject({ toolboxes: [], pending: [{ ...brought, volume }] });
    onMessage({ type: 'accept-toolbox', request: 'r1', name: 'tb' }, []);
    await settle();
    expect(sent.find((m) => m.type === 'result')).toEqual({
      type: 'result',
      request: 'r1',
      ok: true,
      message: 'toolbox tb accepted: 1 command(s)'
    });
    expect(states().at(-1)).toMatchObject({
      toolboxes: [{ ...brought, present: true }],
      pending: []
    });
    onMessage({ type: 'accept-toolbox', request: 'r2', name: 'tb' }, []);
    await settle();
    expect(sent.filter((m) => m.type === 'result').at(-1)).toMatchObject({
      request: 'r2',
      ok: false,
      message: 'no toolbox named tb is waiting to be accepted'
    });
  } finally {
    target.dispose();
    manager.dispose();
  }
});
