import { execFile } from 'node:child_process';
import type { JSONObject } from '../../../src/contract';
import { which } from './tools';
import { classifyFailure, computeAppsArgs, parseComputeApps } from './nvidia';
import { ownerOf } from './owner';

const TIMEOUT_MS = 2000;
const CACHE_MS = 1000;

/**
 * The GPU fields of the kernel's `usage_reply`: the compute processes in
 * this kernel's process tree (the kernel itself, or commands it started),
 * from one `nvidia-smi --query-compute-apps` run, cached for a second. No
 * GPU or a hung nvidia-smi gives `gpu_state` and no figures, never an error.
 */
export class KernelGpuUsage {
  private cached: { at: number; value: Promise<JSONObject> } | null = null;

  constructor(private readonly pid = process.pid) {}

  sample(): Promise<JSONObject> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > CACHE_MS) {
      this.cached = { at: now, value: this.query() };
    }
    return this.cached.value;
  }

  private query(): Promise<JSONObject> {
    const smi = which('nvidia-smi', process.env.PATH);
    if (!smi) return Promise.resolve({ gpu_state: 'no-gpu' });
    return new Promise((resolve) => {
      execFile(
        smi,
        computeAppsArgs(),
        { timeout: TIMEOUT_MS, killSignal: 'SIGKILL' },
        (error, stdout, stderr) => {
          if (error) {
            const killed = (error as { killed?: boolean }).killed;
            resolve({
              gpu_state: killed ? 'timeout' : classifyFailure(`${stdout}${stderr}`).state
            });
            return;
          }
          const mine = parseComputeApps(stdout).filter(
            (app) => ownerOf(app.pid, [{ pid: this.pid }]) !== null
          );
          const mib = mine.reduce((sum, app) => sum + (app.usedMemoryMiB ?? 0), 0);
          resolve({
            gpu_state: 'ok',
            gpu_memory: mib * 1024 * 1024,
            gpu_processes: mine.map((app) => ({
              pid: app.pid,
              gpu_uuid: app.gpuUuid,
              used_memory: (app.usedMemoryMiB ?? 0) * 1024 * 1024
            }))
          });
        }
      );
    });
  }
}
