import { spawn } from 'node:child_process';
import { discoverKernels } from './kernels';

describe('discoverKernels', () => {
  test('finds a process whose command line names a kernel connection file, with its id', async () => {
    const id = '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
    const child = spawn(
      process.execPath,
      ['-e', 'setTimeout(() => {}, 5000)', `/tmp/runtime/kernel-${id}.json`],
      { stdio: 'ignore' }
    );
    try {
      await new Promise((r) => setTimeout(r, 100));
      const kernels = discoverKernels();
      expect(kernels).toContainEqual({ pid: child.pid, kernelId: id });
      expect(kernels.every((k) => k.kernelId !== undefined)).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
  });

  test('a missing /proc gives no kernels rather than an error', () => {
    expect(discoverKernels('/nonexistent-proc')).toEqual([]);
  });
});
