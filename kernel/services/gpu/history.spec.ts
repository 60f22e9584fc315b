import type { GpuSnapshot } from '../../../src/contract/gpu';
import { GpuHistoryBuffer } from './history';

function snapshot(time: number, util: number): GpuSnapshot {
  return {
    type: 'snapshot',
    time,
    state: 'ok',
    message: null,
    source: 'nvidia-smi',
    allocation: 'all',
    gpus: [
      {
        vendor: 'nvidia',
        index: 0,
        uuid: 'GPU-a',
        name: 'NVIDIA H100 80GB HBM3',
        busId: null,
        utilizationGpu: util,
        utilizationMemory: 9,
        memoryUsedMiB: 1395,
        memoryTotalMiB: 81559,
        temperatureC: 58,
        powerDrawW: 683.88,
        powerLimitW: 700,
        clockSmMHz: 1980,
        clockMemMHz: 2619,
        fanPercent: null,
        pcieRxKBs: null,
        pcieTxKBs: null,
        migMode: 'Disabled',
        migDevices: [],
        allocated: true,
        cudaIndex: 0
      }
    ],
    processes: [],
    host: {
      cpuPercent: 12,
      cpuCount: 2,
      memTotalBytes: 1000,
      memAvailableBytes: 400,
      diskPath: '/',
      diskTotalBytes: null,
      diskFreeBytes: null
    }
  };
}

describe('GPU history buffer', () => {
  it('keeps what the charts draw, host memory as used bytes', () => {
    const b = new GpuHistoryBuffer();
    b.add(snapshot(1000, 99));
    expect(b.message()).toEqual({
      type: 'history',
      keepMs: 30 * 60 * 1000,
      points: [
        {
          time: 1000,
          gpus: [
            {
              uuid: 'GPU-a',
              utilizationGpu: 99,
              memoryUsedMiB: 1395,
              memoryTotalMiB: 81559,
              powerDrawW: 683.88,
              temperatureC: 58
            }
          ],
          cpuPercent: 12,
          memUsedBytes: 600,
          memTotalBytes: 1000
        }
      ]
    });
  });

  it('forgets points older than its window', () => {
    const b = new GpuHistoryBuffer(60_000);
    for (let t = 0; t <= 120_000; t += 1000) b.add(snapshot(t, t / 1000));
    const points = b.message().points;
    expect(points[0].time).toBe(60_000);
    expect(points[points.length - 1].time).toBe(120_000);
    expect(b.size).toBe(61);
  });
});
