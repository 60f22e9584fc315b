import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JSONObject } from '../../src/contract';
import type { RunProfile } from '../../src/contract/runs';
import { RunManager } from '../services/cluster/manager';
import { RunStore } from '../services/cluster/store';
import type { Backend } from '../services/cluster/types';
import type { Comm } from './comm';
import { RunsCommTarget } from './runs';

const profile: RunProfile = { name: 'p', kind: 'ssh', workdir: '/tmp/w' } as RunProfile;

/** A Lab root with a notebook inside, one beside it outside, and a folder linked out of it. */
function setup() {
  const base = mkdtempSync(join(tmpdir(), 'warren-runs-comm-'));
  const root = join(base, 'lab');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(root, 'sub', 'nb.ipynb'), '{}');
  writeFileSync(join(base, 'outside', 'nb.ipynb'), '{}');
  symlinkSync(join(base, 'outside'), join(root, 'linked'));
  const checked: string[] = [];
  // The backend stops every submit at its first step and says which notebook got there.
  const backend = {
    check: () => Promise.reject(new Error('reached the backend')),
    submit: () => Promise.reject(new Error('unused'))
  } as unknown as Backend;
  const manager = new RunManager(new RunStore(join(base, 'runs')), () => {
    checked.push('check');
    return backend;
  });
  const target = new RunsCommTarget(manager, root);
  const sent: JSONObject[] = [];
  let onMessage: (data: JSONObject, buffers: Uint8Array[]) => void = () => undefined;
  const comm: Comm = {
    id: 'c1',
    targetName: 'warren.runs',
    send: (d) => void sent.push(d),
    close: () => undefined,
    onMessage: (h) => (onMessage = h),
    onClose: () => undefined
  };
  target.open(comm);
  const submit = async (notebook: string, outputs: string[] = []): Promise<string> => {
    sent.length = 0;
    onMessage({ type: 'submit', notebook, profile, outputs } as unknown as JSONObject, []);
    for (let i = 0; i < 50 && sent.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    return String(sent[0]?.message);
  };
  /** Sends a raw decoded request and returns the first answer. */
  const raw = async (data: JSONObject): Promise<JSONObject | undefined> => {
    sent.length = 0;
    onMessage(data, []);
    for (let i = 0; i < 50 && sent.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    return sent[0];
  };
  return { submit, checked, raw };
}

test('a malformed request is answered with an error that says what is wrong, and reaches nothing', async () => {
  const { raw, checked } = setup();
  expect(await raw({ type: 'cancel' })).toEqual({
    type: 'error',
    message: "refused: a cancel request needs the run's id (a string)"
  });
  expect(await raw({ type: 'tail', id: 7 })).toMatchObject({
    type: 'error',
    message: "refused: a tail request needs the run's id (a string)"
  });
  expect(await raw({ type: 'follow', id: 3 })).toEqual({
    type: 'error',
    message: "refused: a follow request needs the run's id (a string) or null"
  });
  expect(await raw({ type: 'launch', id: 'r1' })).toEqual({
    type: 'error',
    id: 'r1',
    message: 'refused: unknown runs request "launch"'
  });
  expect(await raw({ type: 'submit', notebook: 'sub/nb.ipynb', profile: { name: 'p' } })).toEqual({
    type: 'error',
    message: 'refused: the profile needs a name, a kind (slurm or ssh) and a workdir'
  });
  expect(
    await raw({
      type: 'submit',
      notebook: 'sub/nb.ipynb',
      profile: { ...profile },
      inputs: 'a.mif'
    })
  ).toMatchObject({ message: 'refused: inputs must be a list of paths' });
  expect(checked).toEqual([]);
});

test('a notebook outside the Lab root is refused before anything is sent', async () => {
  const { submit, checked } = setup();
  for (const path of [
    '../outside/nb.ipynb',
    '/etc/hostname',
    'linked/nb.ipynb',
    'sub/../../outside/nb.ipynb'
  ])
    expect([path, await submit(path)]).toEqual([
      path,
      expect.stringMatching(/is outside the Lab's root folder/)
    ]);
  expect(checked).toEqual([]);
  // One inside the root gets as far as the cluster.
  expect(await submit('sub/nb.ipynb')).toMatch(/reached the backend/);
});

test("a declared output that leaves the run's folder is refused", async () => {
  const { submit, checked } = setup();
  for (const output of ['../../x', '/etc/x', 'a/../../x', '..'])
    expect([output, await submit('sub/nb.ipynb', [output])]).toEqual([
      output,
      expect.stringMatching(/must be a path inside the run's folder/)
    ]);
  expect(checked).toEqual([]);
  expect(await submit('sub/nb.ipynb', ['results/fa.mif', './b.txt'])).toMatch(
    /reached the backend/
  );
});
