import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from './harness';

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
    expect(existsSync(join(kernels, 'warren', 'logo-64x64.png'))).toBe(true);
    const listed = spawnSync('/usr/bin/jupyter-kernelspec', ['list', '--json'], {
      env: { ...process.env, JUPYTER_PATH: join(prefix, 'share', 'jupyter') },
      encoding: 'utf8'
    });
    const names = Object.keys(
      (JSON.parse(listed.stdout) as { kernelspecs: Record<string, unknown> }).kernelspecs
    );
    expect(names).toEqual(expect.arrayContaining(['warren', 'warren-js']));
    if (existsSync(join(ROOT, 'warren', 'labextension', 'package.json'))) {
      expect(
        existsSync(join(prefix, 'share', 'jupyter', 'labextensions', 'warren', 'package.json'))
      ).toBe(true);
    }
    expect(warren(['uninstall', '--prefix', prefix]).status).toBe(0);
    expect(existsSync(join(kernels, 'warren'))).toBe(false);
    expect(existsSync(join(prefix, 'share', 'jupyter', 'labextensions', 'warren'))).toBe(false);
  });

  test('the user install honours JUPYTER_DATA_DIR', () => {
    const data = mkdtempSync(join(tmpdir(), 'warren-data-'));
    expect(warren(['install', '--user'], { JUPYTER_DATA_DIR: data }).status).toBe(0);
    expect(existsSync(join(data, 'kernels', 'warren-js', 'kernel.json'))).toBe(true);
  });

  test('an unknown command prints the usage and fails', () => {
    const r = warren(['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage:/);
  });
});
