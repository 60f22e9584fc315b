import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT, VENV_BIN } from './harness';

function warren(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8'
  });
}

describe('warren install', () => {
  test('--prefix writes both kernelspecs that Jupyter itself lists, and uninstall removes them', () => {
    const prefix = mkdtempSync(join(tmpdir(), 'warren-prefix-'));
    expect(warren(['install', '--prefix', prefix]).status).toBe(0);
    const kernels = join(prefix, 'share', 'jupyter', 'kernels');
    const spec = JSON.parse(readFileSync(join(kernels, 'warren', 'kernel.json'), 'utf8')) as {
      argv: string[];
      interrupt_mode: string;
      language: string;
    };
    expect(spec).toMatchObject({ interrupt_mode: 'message', language: 'typescript' });
    expect(spec.argv).toContain('{connection_file}');
    // The process Jupyter launches is the native supervisor, given Node and the CLI.
    expect(spec.argv.slice(0, 2)).toEqual([
      join(ROOT, 'lib', 'kernel', 'native', 'warren-supervisor'),
      process.execPath
    ]);
    expect(existsSync(join(kernels, 'warren', 'logo-64x64.png'))).toBe(true);
    const listed = spawnSync(join(VENV_BIN, 'jupyter-kernelspec'), ['list', '--json'], {
      env: { ...process.env, JUPYTER_PATH: join(prefix, 'share', 'jupyter') },
      encoding: 'utf8'
    });
    const names = Object.keys(
      (JSON.parse(listed.stdout) as { kernelspecs: Record<string, unknown> }).kernelspecs
    );
    expect(names).toEqual(expect.arrayContaining(['warren', 'warren-js']));
    // npm test's set-up builds the labextension: it must be there.
    expect(
      existsSync(join(prefix, 'share', 'jupyter', 'labextensions', 'warren', 'package.json'))
    ).toBe(true);
    expect(warren(['uninstall', '--prefix', prefix]).status).toBe(0);
    expect(existsSync(join(kernels, 'warren'))).toBe(false);
    expect(existsSync(join(prefix, 'share', 'jupyter', 'labextensions', 'warren'))).toBe(false);
  });

  test('--sys-prefix installs into the active virtualenv with a `warren` launcher that runs the CLI, and uninstall there removes it all', () => {
    const venv = mkdtempSync(join(tmpdir(), 'warren-venv-'));
    expect(warren(['install', '--sys-prefix'], { VIRTUAL_ENV: venv }).status).toBe(0);
    expect(existsSync(join(venv, 'share', 'jupyter', 'kernels', 'warren', 'kernel.json'))).toBe(
      true
    );
    expect(
      existsSync(join(venv, 'share', 'jupyter', 'labextensions', 'warren', 'package.json'))
    ).toBe(true);
    // What a Slurm job on PATH=venv/bin gets when it calls `warren`.
    const launcher = join(venv, 'bin', 'warren');
    const ran = spawnSync('sh', ['-c', 'warren runs list --help; warren frobnicate'], {
      env: { ...process.env, PATH: `${join(venv, 'bin')}:/usr/bin:/bin` },
      encoding: 'utf8'
    });
    expect(ran.stderr).toMatch(/usage:/);
    expect(ran.status).toBe(2);
    expect(warren(['uninstall', '--sys-prefix'], { VIRTUAL_ENV: venv }).status).toBe(0);
    expect(existsSync(launcher)).toBe(false);
    expect(existsSync(join(venv, 'share', 'jupyter', 'kernels', 'warren'))).toBe(false);
  });

  test('uninstall leaves a `warren` in the prefix that it did not write', () => {
    const prefix = mkdtempSync(join(tmpdir(), 'warren-prefix-'));
    mkdirSync(join(prefix, 'bin'));
    expect(warren(['install', '--prefix', prefix]).status).toBe(0);
    writeFileSync(join(prefix, 'bin', 'warren'), '#!/bin/sh\necho someone else\n');
    expect(warren(['uninstall', '--prefix', prefix]).status).toBe(0);
    expect(readFileSync(join(prefix, 'bin', 'warren'), 'utf8')).toContain('someone else');
  });

  test('the user install honours JUPYTER_DATA_DIR, and a plain uninstall removes it', () => {
    const data = mkdtempSync(join(tmpdir(), 'warren-data-'));
    expect(warren(['install', '--user'], { JUPYTER_DATA_DIR: data }).status).toBe(0);
    expect(existsSync(join(data, 'kernels', 'warren-js', 'kernel.json'))).toBe(true);
    expect(existsSync(join(data, 'labextensions', 'warren', 'package.json'))).toBe(true);
    expect(warren(['uninstall'], { JUPYTER_DATA_DIR: data }).status).toBe(0);
    expect(existsSync(join(data, 'kernels', 'warren-js'))).toBe(false);
    expect(existsSync(join(data, 'kernels', 'warren'))).toBe(false);
    expect(existsSync(join(data, 'labextensions', 'warren'))).toBe(false);
  });

  test('an unknown command prints the usage and fails', () => {
    const r = warren(['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage:/);
  });
});
