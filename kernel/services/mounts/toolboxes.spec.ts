import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MANIFEST,
  readManifest,
  removeFromManifest,
  repairExecBits,
  validateToolbox,
  toolboxStatus,
  toolEnvironment,
  withoutToolbox,
  writeManifest
} from './toolboxes';

/** A volume with a toolbox `good`, and a folder outside it holding a script without its exec bit. */
function volume() {
  const base = mkdtempSync(join(tmpdir(), 'warren-toolboxes-'));
  const vol = join(base, 'vol');
  const outside = join(base, 'outside');
  mkdirSync(join(vol, 'good', 'bin'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'tool'), '#!/bin/sh\necho outside\n');
  chmodSync(join(outside, 'tool'), 0o644);
  return { base, vol, outside };
}

const manifest = (vol: string, toolboxes: unknown[]) =>
  writeFileSync(join(vol, MANIFEST), JSON.stringify({ version: 1, toolboxes }));

test("a volume's manifest passes the checks of a toolbox added by hand, and stays inside its volume", async () => {
  const { vol, outside } = volume();
  symlinkSync(outside, join(vol, 'good', 'linkbin'));
  symlinkSync(outside, join(vol, 'linkroot'));
  const entry = { name: 'good', path: 'good', bin: ['bin'], env: {} };
  manifest(vol, [
    entry,
    { ...entry, name: 'semicolon', env: { 'A;touch /tmp/pwned;B': 'x' } },
    { ...entry, name: 'bashenv', env: { BASH_ENV: '${root}/evil.sh' } },
    { ...entry, name: 'preload', env: { LD_PRELOAD: '${root}/evil.so' } },
    { ...entry, name: 'libpath', env: { LD_LIBRARY_PATH: '${root}/lib' } },
    { ...entry, name: 'prompt', env: { PROMPT_COMMAND: 'touch /tmp/pwned' } },
    { ...entry, name: 'pystart', env: { PYTHONSTARTUP: '${root}/x.py' } },
    { ...entry, name: 'nodeopt', env: { NODE_OPTIONS: '--require /tmp/x.js' } },
    { ...entry, name: 'func', env: { 'BASH_FUNC_ls%%': '() { id; }' } },
    { ...entry, name: 'path', env: { PATH: '/tmp' } },
    { ...entry, name: 'updots', bin: ['../../..'] },
    { ...entry, name: 'abs', bin: ['/usr/bin'] },
    { ...entry, name: 'linkbin', bin: ['linkbin'] },
    { ...entry, name: 'uppath', path: '../outside' },
    { ...entry, name: 'abspath', path: '/usr' },
    { ...entry, name: 'linkroot', path: 'linkroot' },
    { ...entry, name: 'bad name;x' }
  ]);
  const read = await readManifest(vol);
  expect(read?.toolboxes.map((t) => t.name)).toEqual(['good']);
  const refused = (read?.refused ?? []).map((r) => r.slice(0, r.indexOf(':')));
  expect(refused).toEqual([
    'semicolon',
    'bashenv',
    'preload',
    'libpath',
    'prompt',
    'pystart',
    'nodeopt',
    'func',
    'path',
    'updots',
    'abs',
    'linkbin',
    'uppath',
    'abspath',
    'linkroot',
    'bad name;x'
  ]);
  // The same checks for a toolbox added by hand.
  await expect(
    validateToolbox({ name: 'x', root: join(vol, 'good'), bin: ['bin'], env: { ENV: '/x' } })
  ).rejects.toThrow(/may not set ENV/);
  await expect(
    validateToolbox({ name: 'x', root: join(vol, 'good'), bin: ['linkbin'], env: {} })
  ).rejects.toThrow(/is a link that leaves/);
});

test('a manifest that is a symbolic link is neither read nor written through', async () => {
  const { vol, outside } = volume();
  const local = join(outside, 'precious.json');
  writeFileSync(
    local,
    '{"toolboxes": [{"name": "good", "path": "good", "bin": ["bin"], "env": {}}]}'
  );
  symlinkSync(local, join(vol, MANIFEST));
  expect(await readManifest(vol)).toEqual({
    toolboxes: [],
    refused: [`${MANIFEST} is a symbolic link: not read`]
  });
  await expect(
    writeManifest(vol, { name: 'good', root: join(vol, 'good'), bin: ['bin'], env: {} })
  ).rejects.toThrow(/is a symbolic link: not written through/);
  expect(readFileSync(local, 'utf8')).toContain('"path": "good"');
});

test('exec-bit repair never changes a file a symbolic link leads to outside the toolbox', async () => {
  const { vol, outside } = volume();
  const bin = join(vol, 'good', 'bin');
  symlinkSync(join(outside, 'tool'), join(bin, 'escape'));
  writeFileSync(join(bin, 'own'), '#!/bin/sh\necho own\n');
  chmodSync(join(bin, 'own'), 0o644);
  symlinkSync(join(bin, 'own'), join(bin, 'alias'));
  const repair = await repairExecBits([bin], join(vol, 'good'));
  expect(statSync(join(outside, 'tool')).mode & 0o777).toBe(0o644);
  expect(statSync(join(bin, 'own')).mode & 0o777).toBe(0o755);
  // Through the link inside (`alias`, read first) or by its name: once.
  expect(repair).toEqual({ fixed: [join(bin, 'alias')], failed: [] });
  // A bin folder that is itself a link out of the toolbox is not entered.
  symlinkSync(outside, join(vol, 'good', 'out'));
  await repairExecBits([join(vol, 'good', 'out')], join(vol, 'good'));
  expect(statSync(join(outside, 'tool')).mode & 0o777).toBe(0o644);
});

test('a manifest written by hand keeps its entries, and removing one keeps the rest', async () => {
  const { vol } = volume();
  mkdirSync(join(vol, 'other'));
  // An entry this machine refuses (its folder is not here) is kept for the machines that have it.
  const elsewhere = { name: 'elsewhere', path: 'not-here', bin: ['bin'], env: {} };
  manifest(vol, [elsewhere]);
  await writeManifest(vol, {
    name: 'good',
    root: join(vol, 'good'),
    bin: ['bin'],
    env: { A: '1' }
  });
  await writeManifest(vol, { name: 'other', root: join(vol, 'other'), bin: ['bin'], env: {} });
  expect((await readManifest(vol))?.toolboxes.map((t) => [t.name, t.env])).toEqual([
    ['good', { A: '1' }],
    ['other', {}]
  ]);
  await removeFromManifest(vol, 'good');
  const stored = JSON.parse(readFileSync(join(vol, MANIFEST), 'utf8')) as { toolboxes: unknown[] };
  expect(stored.toolboxes).toEqual([
    elsewhere,
    { name: 'other', path: 'other', bin: ['bin'], env: {} }
  ]);
});

test("a folder holding ':' is refused: on PATH it would add a folder outside the volume, or the current one", async () => {
  const { vol, outside } = volume();
  mkdirSync(join(vol, 'odd:name', 'bin'), { recursive: true });
  for (const bin of [`bin:${outside}`, 'bin:', 'bin\nx']) {
    manifest(vol, [{ name: 'good', path: 'good', bin: [bin], env: {} }]);
    const read = (await readManifest(vol))!;
    expect(read.toolboxes).toEqual([]);
    expect(read.refused).toEqual([
      `good: bin folder ${JSON.stringify(bin)} of good holds ':' or a control character, which PATH cannot hold`
    ]);
  }
  await expect(
    validateToolbox({ name: 'odd', root: join(vol, 'odd:name'), bin: ['bin'], env: {} })
  ).rejects.toThrow(/its folder ".*odd:name" holds ':' or a control character/);
});

test('removing a toolbox takes its folders off PATH and its variables back to their launch values, and changes nothing else', () => {
  const a = { name: 'a', root: '/v/a', bin: ['bin', 'sbin'], env: { A: '${root}/x', SHARED: 'a' } };
  const b = { name: 'b', root: '/v/b', bin: ['bin'], env: { SHARED: 'b', B: '1' } };
  const launched = { PATH: '/usr/bin:/bin', SHARED: 'mine' };
  const env = { ...launched, ...toolEnvironment([a, b], launched) };
  expect(env.PATH).toBe('/v/a/bin:/v/a/sbin:/v/b/bin:/usr/bin:/bin');
  expect(env.SHARED).toBe('b');
  // A venv put first since, and B changed by hand: both stay as they are.
  const now = { ...env, PATH: `/venv/bin:${env.PATH}`, B: 'mine too' };
  // `a` goes: its folders leave PATH; A was not there at launch; SHARED is b's, not a's.
  expect(withoutToolbox(a, [b], now, launched)).toEqual({
    set: { PATH: '/venv/bin:/v/b/bin:/usr/bin:/bin' },
    unset: ['A']
  });
  // Then `b`: SHARED back to what the kernel was launched with; B, changed since, left.
  const left = { PATH: '/venv/bin:/v/b/bin:/usr/bin:/bin', SHARED: 'b', B: 'mine too' };
  expect(withoutToolbox(b, [], left, launched)).toEqual({
    set: { PATH: '/venv/bin:/usr/bin:/bin', SHARED: 'mine' },
    unset: []
  });
  // A variable two toolboxes set takes the one left's value; a folder PATH held at launch stays.
  const c = { name: 'c', root: '/usr', bin: ['bin'], env: { SHARED: 'c' } };
  const both = { PATH: '/usr/bin:/v/b/bin:/bin', SHARED: 'c' };
  expect(withoutToolbox(c, [b], both, launched)).toEqual({ set: { SHARED: 'b' }, unset: [] });
});

test('toolboxes that share a root folder are each listed as themselves, with their own bin counted', async () => {
  const { vol } = volume();
  mkdirSync(join(vol, 'extras', 'bin'), { recursive: true });
  writeFileSync(join(vol, 'good', 'bin', 'a'), '');
  writeFileSync(join(vol, 'extras', 'bin', 'b'), '');
  writeFileSync(join(vol, 'extras', 'bin', 'c'), '');
  const fsl = { name: 'fsl', root: vol, bin: ['good/bin'], env: { FSLDIR: '${root}' } };
  const extras = { name: 'fsl-extras', root: vol, bin: ['extras/bin'], env: {} };
  const got = await Promise.all([toolboxStatus(fsl), toolboxStatus(extras)]);
  expect(got).toEqual([
    { ...fsl, present: true, commands: 1 },
    { ...extras, present: true, commands: 2 }
  ]);
});
