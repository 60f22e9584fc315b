import type { GpuMigDevice } from '../../../src/contract/gpu';
import { applyAllocation, readAllocation } from './allocation';

type G = { index: number; uuid: string; migDevices: GpuMigDevice[] };
const gpus: G[] = [0, 1, 2, 3].map((i) => ({
  index: i,
  uuid: `GPU-${i}${i}${i}aaaa-6a19-8508-6cde-095e8894dab${i}`,
  migDevices:
    i === 2 ? [{ uuid: 'MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f', name: '1g.10gb', index: 0 }] : []
}));

const order = (env: Record<string, string>): string[] =>
  applyAllocation(gpus, readAllocation(env)).map(
    (g) => `${g.index}${g.allocated ? '*' : ''}@${g.cudaIndex ?? '-'}`
  );

describe('GPU allocation', () => {
  it('allocates every GPU, in index order, when nothing restricts them', () => {
    expect(order({})).toEqual(['0*@0', '1*@1', '2*@2', '3*@3']);
    expect(readAllocation({}).source).toBe('all');
  });

  it('puts CUDA_VISIBLE_DEVICES first, in its order, and the rest after', () => {
    expect(order({ CUDA_VISIBLE_DEVICES: '3,1' })).toEqual(['3*@0', '1*@1', '0@-', '2@-']);
  });

  it('resolves UUIDs, UUID prefixes and MIG UUIDs to their GPU', () => {
    expect(order({ CUDA_VISIBLE_DEVICES: 'GPU-222aaaa' })).toEqual(['2*@0', '0@-', '1@-', '3@-']);
    // A list of MIG UUIDs ends at an entry of another kind, as CUDA reads it.
    expect(order({ CUDA_VISIBLE_DEVICES: 'MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f,0' })).toEqual([
      '2*@0',
      '0@-',
      '1@-',
      '3@-'
    ]);
    expect(
      order({ CUDA_VISIBLE_DEVICES: 'MIG-GPU-111aaaa-6a19-8508-6cde-095e8894dab1/1/0' })
    ).toEqual(['1*@0', '0@-', '2@-', '3@-']);
  });

  it('ignores an ambiguous UUID prefix', () => {
    expect(order({ CUDA_VISIBLE_DEVICES: 'GPU-' })).toEqual(['0@-', '1@-', '2@-', '3@-']);
  });

  it('stops at the first invalid entry, as CUDA does, and hides all for an empty list', () => {
    expect(order({ CUDA_VISIBLE_DEVICES: '2,-1,0' })).toEqual(['2*@0', '0@-', '1@-', '3@-']);
    expect(order({ CUDA_VISIBLE_DEVICES: '' })).toEqual(['0@-', '1@-', '2@-', '3@-']);
  });

  it("prefers Slurm's physical indices over the job's renumbered CUDA_VISIBLE_DEVICES", () => {
    const env = { SLURM_JOB_GPUS: '3,1', CUDA_VISIBLE_DEVICES: '0,1' };
    expect(readAllocation(env).source).toBe('SLURM_JOB_GPUS');
    expect(order(env)).toEqual(['1*@0', '3*@1', '0@-', '2@-']);
    expect(readAllocation({ SLURM_STEP_GPUS: '2', SLURM_JOB_GPUS: '1,2' }).entries).toEqual(['2']);
    expect(order({ GPU_DEVICE_ORDINAL: '1' })).toEqual(['1*@0', '0@-', '2@-', '3@-']);
  });
});
