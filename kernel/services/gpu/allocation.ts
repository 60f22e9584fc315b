import type { GpuAllocationSource, GpuInfo } from '../../../src/contract/gpu';

export type Allocation = {
  source: GpuAllocationSource;
  /** Entries in the order CUDA numbers them; null when every GPU is allowed. */
  entries: string[] | null;
};

type Env = Record<string, string | undefined>;

/**
 * Which GPUs belong to this kernel. Slurm's SLURM_STEP_GPUS / SLURM_JOB_GPUS
 * hold the node's physical indices, which is what nvidia-smi numbers by; under
 * Slurm's device cgroup CUDA_VISIBLE_DEVICES is renumbered from 0 and would
 * name the wrong GPU, so Slurm's lists win. GPU_DEVICE_ORDINAL (Slurm, ROCm)
 * is read last.
 */
export function readAllocation(env: Env): Allocation {
  for (const source of [
    'SLURM_STEP_GPUS',
    'SLURM_JOB_GPUS',
    'CUDA_VISIBLE_DEVICES',
    'GPU_DEVICE_ORDINAL'
  ] as const) {
    const value = env[source];
    if (value === undefined) continue;
    return { source, entries: splitList(value) };
  }
  return { source: 'all', entries: null };
}

function splitList(value: string): string[] {
  const entries: string[] = [];
  for (const raw of value.split(',')) {
    const e = raw.trim();
    // CUDA stops at the first invalid entry: "0,-1,1" exposes GPU 0 only.
    if (e === '' || e === '-1' || e === 'NoDevFiles') break;
    entries.push(e);
  }
  return entries;
}

/**
 * Resolves one entry to a GPU: an index, a (prefix of a) GPU UUID, a MIG UUID
 * (`MIG-...`, found through the MIG devices `nvidia-smi -L` lists) or the
 * older `MIG-GPU-<uuid>/<gi>/<ci>` form.
 *
 * Hazard: a bare index counts in CUDA's order, which is fastest-first unless
 * CUDA_DEVICE_ORDER=PCI_BUS_ID, while nvidia-smi's index is PCI order. On
 * mixed-model hosts an index may name another GPU than CUDA means; UUIDs don't.
 */
function resolve(
  entry: string,
  gpus: readonly Pick<GpuInfo, 'index' | 'uuid' | 'migDevices'>[]
): number | null {
  if (/^\d+$/.test(entry)) {
    const g = gpus.find((x) => x.index === Number(entry));
    return g ? g.index : null;
  }
  const legacyMig = /^MIG-(GPU-[^/]+)\//.exec(entry);
  const id = legacyMig ? legacyMig[1] : entry;
  if (id.startsWith('MIG-')) {
    const g = gpus.find((x) => x.migDevices.some((m) => m.uuid === id || m.uuid.startsWith(id)));
    return g ? g.index : null;
  }
  const uuid = id.startsWith('GPU-') ? id : `GPU-${id}`;
  const matches = gpus.filter((x) => x.uuid.startsWith(uuid));
  return matches.length === 1 ? matches[0].index : null;
}

/**
 * Marks each GPU allocated or not, gives it the ordinal CUDA would give it,
 * and sorts allocated GPUs first (in CUDA's order), then the rest by index.
 */
export function applyAllocation<T extends Pick<GpuInfo, 'index' | 'uuid' | 'migDevices'>>(
  gpus: readonly T[],
  allocation: Allocation
): (T & { allocated: boolean; cudaIndex: number | null })[] {
  if (allocation.entries === null) {
    return [...gpus]
      .sort((a, b) => a.index - b.index)
      .map((g, i) => ({ ...g, allocated: true, cudaIndex: i }));
  }
  const order: number[] = [];
  for (const entry of allocation.entries) {
    const index = resolve(entry, gpus);
    if (index !== null && !order.includes(index)) order.push(index);
  }
  // Slurm's lists say which GPUs, not how CUDA numbers them: inside the job they count from 0 in PCI order.
  if (allocation.source === 'SLURM_STEP_GPUS' || allocation.source === 'SLURM_JOB_GPUS')
    order.sort((a, b) => a - b);
  const allocated = order.map((index, i) => {
    const g = gpus.find((x) => x.index === index) as T;
    return { ...g, allocated: true, cudaIndex: i };
  });
  const rest = gpus
    .filter((g) => !order.includes(g.index))
    .sort((a, b) => a.index - b.index)
    .map((g) => ({ ...g, allocated: false, cudaIndex: null }));
  return [...allocated, ...rest];
}
