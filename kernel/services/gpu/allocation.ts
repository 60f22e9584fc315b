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
 * Resolves one entry to a GPU: an index, a (prefix of a) GPU UUID with its
 * `GPU-`, a MIG UUID (`MIG-...`, found through the MIG devices `nvidia-smi -L`
 * lists) or the older `MIG-GPU-<uuid>/<gi>/<ci>` form. An index is read as
 * CUDA reads it, like strtoul: `1gpu2` is 1, and text without a leading digit
 * names no GPU.
 *
 * Hazard: a bare index counts in CUDA's order, which is fastest-first unless
 * CUDA_DEVICE_ORDER=PCI_BUS_ID, while nvidia-smi's index is PCI order. On
 * mixed-model hosts an index may name another GPU than CUDA means; UUIDs don't.
 */
function resolve(
  entry: string,
  gpus: readonly Pick<GpuInfo, 'index' | 'uuid' | 'migDevices'>[]
): number | null {
  if (!entry.startsWith('GPU-') && !entry.startsWith('MIG-')) {
    const digits = /^\+?(\d+)/.exec(entry);
    if (!digits) return null;
    const g = gpus.find((x) => x.index === Number(digits[1]));
    return g ? g.index : null;
  }
  const legacyMig = /^MIG-(GPU-[^/]+)\//.exec(entry);
  const id = legacyMig ? legacyMig[1] : entry;
  if (id.startsWith('MIG-')) {
    const g = gpus.find((x) => x.migDevices.some((m) => m.uuid === id || m.uuid.startsWith(id)));
    return g ? g.index : null;
  }
  const matches = gpus.filter((x) => x.uuid.startsWith(id));
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
  // CUDA's rules (as PyTorch's _parse_visible_devices reads them): the list
  // ends at the first entry that names no GPU (an index past the last, an
  // unknown or ambiguous UUID), and a GPU named twice makes the list empty.
  // A list is of UUIDs or of ordinals, as its first entry is: one of the other kind ends it.
  const first = allocation.entries[0] ?? '';
  const kind = first.startsWith('GPU-') ? 'GPU-' : first.startsWith('MIG-') ? 'MIG-' : null;
  let order: number[] = [];
  for (const entry of allocation.entries) {
    if (kind !== null && !entry.startsWith(kind)) break;
    const index = resolve(entry, gpus);
    if (index === null) break;
    if (order.includes(index)) {
      // Two MIG instances of one GPU are two entries, not one GPU named twice.
      if (entry.startsWith('MIG-')) continue;
      order = [];
      break;
    }
    order.push(index);
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
