import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelClient } from '../kernel/client/client';
import { launchWarren, result } from './harness';

/** A notebook in a folder that holds a JavaScript project's node_modules. */
describe('the @types packages of the notebook folder', () => {
  let k: KernelClient;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-types-'));
    const pkg = (path: string, files: Record<string, string>) => {
      mkdirSync(join(dir, 'node_modules', path), { recursive: true });
      for (const [name, text] of Object.entries(files))
        writeFileSync(join(dir, 'node_modules', path, name), text);
    };
    pkg('voxels', {
      'package.json': '{"name": "voxels", "main": "index.js"}',
      'index.js': 'exports.count = (dims) => dims.reduce((a, b) => a * b, 1);'
    });
    pkg('@types/voxels', {
      'package.json': '{"name": "@types/voxels", "types": "index.d.ts"}',
      'index.d.ts': 'export declare function count(dims: number[]): number;'
    });
    // A package that only declares globals, as test runners' types do.
    pkg('@types/runner-globals', {
      'package.json': '{"name": "@types/runner-globals", "types": "index.d.ts"}',
      'index.d.ts': 'declare const RUNNER_GLOBAL: number;'
    });
    k = await launchWarren({ cwd: dir });
  });
  afterAll(async () => {
    await k.shutdown();
  });

  test('give a module its types when a cell imports it', async () => {
    const ok = await k.execute("import { count } from 'voxels'; count([2, 3, 4])");
    expect(ok.reply.content.status).toBe('ok');
    expect(result(ok.iopub)).toBe('24');
    const typed = await k.execute("count(['2'])");
    expect(typed.reply.content).toMatchObject({ status: 'error', ename: 'TSError' });
    expect(String(typed.reply.content.evalue)).toMatch(/string.*number/);
  });

  test('are not checked into every cell: their globals are not there, @types/node is', async () => {
    const global = await k.execute('RUNNER_GLOBAL');
    expect(global.reply.content).toMatchObject({ status: 'error', ename: 'TSError' });
    expect(String(global.reply.content.evalue)).toMatch(/Cannot find name 'RUNNER_GLOBAL'/);
    const node = await k.execute('process.versions.node.split(".").length');
    expect(result(node.iopub)).toBe('3');
  });
});
