/**
 * Payloads of the `warren.gpu` comm (CommTargets.gpu) and their guards. This
 * module imports nothing outside contract/. Types are aliases, not interfaces, so that they stay assignable to
 * a JSON object. Every measured value is `null` where the tool reports
 * `[N/A]`, `[Not Supported]` or nothing.
 */

import { isRecord } from './index';

/** Why the snapshot holds no (fresh) GPU figures. */
export type GpuState = 'ok' | 'no-gpu' | 'no-driver' | 'timeout' | 'error';

export type GpuVendor = 'nvidia' | 'amd';

/** Which variable decided `allocated` (`all`: none was set). */
export type GpuAllocationSource =
  'all' | 'CUDA_VISIBLE_DEVICES' | 'SLURM_STEP_GPUS' | 'SLURM_JOB_GPUS' | 'GPU_DEVICE_ORDINAL';

export type GpuMigDevice = {
  /** `MIG-...` as `nvidia-smi -L` lists it. */
  uuid: string;
  /** The profile, such as `1g.10gb`. */
  name: string;
  index: number;
};

export type GpuInfo = {
  vendor: GpuVendor;
  /** The tool's own index (nvidia-smi orders by PCI bus). */
  index: number;
  uuid: string;
  name: string;
  busId: string | null;
  /** Percent of time a kernel ran in the last sample period. */
  utilizationGpu: number | null;
  /** Percent of time device memory was read or written. */
  utilizationMemory: number | null;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  temperatureC: number | null;
  powerDrawW: number | null;
  powerLimitW: number | null;
  clockSmMHz: number | null;
  clockMemMHz: number | null;
  fanPercent: number | null;
  /** PCIe throughput; nvidia-smi's --query-gpu cannot report it, so null there. */
  pcieRxKBs: number | null;
  pcieTxKBs: number | null;
  /** `Enabled`, `Disabled` or null. */
  migMode: string | null;
  migDevices: GpuMigDevice[];
  /** In the allocation of this kernel (CUDA_VISIBLE_DEVICES, Slurm). */
  allocated: boolean;
  /** The ordinal CUDA gives this GPU inside the kernel, null if not visible. */
  cudaIndex: number | null;
};

export type GpuProcess = {
  pid: number;
  gpuUuid: string;
  gpuIndex: number | null;
  usedMemoryMiB: number | null;
  /** The kernel process whose tree holds this pid, if any. */
  ownerPid: number | null;
  ownerKernelId: string | null;
  /** Read from /proc where the pid is visible here (not in another pid namespace), else null. */
  user: string | null;
  /** The command line, arguments joined by spaces. */
  command: string | null;
};

export type HostStats = {
  /** Percent of all cores busy since the previous sample (null on the first). */
  cpuPercent: number | null;
  cpuCount: number;
  memTotalBytes: number | null;
  memAvailableBytes: number | null;
  diskPath: string;
  diskTotalBytes: number | null;
  diskFreeBytes: number | null;
};

export type GpuSnapshot = {
  type: 'snapshot';
  /** Milliseconds since the epoch, when the kernel built it. */
  time: number;
  state: GpuState;
  /** Why, for every state but `ok`. */
  message: string | null;
  source: 'nvidia-smi' | 'rocm-smi' | null;
  allocation: GpuAllocationSource;
  gpus: GpuInfo[];
  processes: GpuProcess[];
  host: HostStats;
};

/** One GPU's figures at one time in the history. */
export type GpuHistoryGpu = {
  uuid: string;
  utilizationGpu: number | null;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  powerDrawW: number | null;
  temperatureC: number | null;
};

/** One snapshot, reduced to what the charts draw. */
export type GpuHistoryPoint = {
  /** Milliseconds since the epoch. */
  time: number;
  gpus: GpuHistoryGpu[];
  cpuPercent: number | null;
  memUsedBytes: number | null;
  memTotalBytes: number | null;
};

/** The charted figures of one snapshot: what both the kernel's history and the panel's keep. */
export function historyPoint(s: GpuSnapshot): GpuHistoryPoint {
  const h = s.host;
  return {
    time: s.time,
    gpus: s.gpus.map((g): GpuHistoryGpu => ({
      uuid: g.uuid,
      utilizationGpu: g.utilizationGpu,
      memoryUsedMiB: g.memoryUsedMiB,
      memoryTotalMiB: g.memoryTotalMiB,
      powerDrawW: g.powerDrawW,
      temperatureC: g.temperatureC
    })),
    cpuPercent: h.cpuPercent,
    memUsedBytes:
      h.memTotalBytes !== null && h.memAvailableBytes !== null
        ? h.memTotalBytes - h.memAvailableBytes
        : null,
    memTotalBytes: h.memTotalBytes
  };
}

/**
 * Sent first on every open comm: what the kernel kept (the last 30 minutes),
 * oldest first, so a reloaded page or a new tab draws its charts at once.
 */
export type GpuHistory = {
  type: 'history';
  /** How far back the kernel keeps, in milliseconds. */
  keepMs: number;
  points: GpuHistoryPoint[];
};

/** Frontend to kernel: change the sampling interval (clamped by the kernel). */
export type GpuConfigure = {
  type: 'configure';
  intervalMs: number;
};

export type GpuKernelMessage = GpuSnapshot | GpuHistory;
export type GpuFrontendMessage = GpuConfigure;

const STATES = new Set<string>(['ok', 'no-gpu', 'no-driver', 'timeout', 'error']);

function isGpu(value: unknown): value is GpuInfo {
  return (
    isRecord(value) &&
    typeof value.uuid === 'string' &&
    typeof value.name === 'string' &&
    typeof value.index === 'number' &&
    typeof value.allocated === 'boolean'
  );
}

function isProcess(value: unknown): value is GpuProcess {
  return isRecord(value) && typeof value.pid === 'number' && typeof value.gpuUuid === 'string';
}

/** Narrows a comm message to a snapshot; the fields the panel reads are checked. */
export function isGpuSnapshot(value: unknown): value is GpuSnapshot {
  return (
    isRecord(value) &&
    value.type === 'snapshot' &&
    typeof value.time === 'number' &&
    typeof value.state === 'string' &&
    STATES.has(value.state) &&
    Array.isArray(value.gpus) &&
    value.gpus.every(isGpu) &&
    Array.isArray(value.processes) &&
    value.processes.every(isProcess) &&
    isRecord(value.host)
  );
}

function isHistoryPoint(value: unknown): value is GpuHistoryPoint {
  return (
    isRecord(value) &&
    typeof value.time === 'number' &&
    Array.isArray(value.gpus) &&
    value.gpus.every((g) => isRecord(g) && typeof g.uuid === 'string')
  );
}

/** Narrows a comm message to the history sent when the comm opens. */
export function isGpuHistory(value: unknown): value is GpuHistory {
  return (
    isRecord(value) &&
    value.type === 'history' &&
    Array.isArray(value.points) &&
    value.points.every(isHistoryPoint)
  );
}

/** Narrows a frontend message to a configure with a finite interval. */
export function isGpuConfigure(value: unknown): value is GpuConfigure {
  return (
    isRecord(value) &&
    value.type === 'configure' &&
    typeof value.intervalMs === 'number' &&
    Number.isFinite(value.intervalMs)
  );
}
