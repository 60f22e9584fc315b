import { FakeServices } from '../comm/fake-services';
import { CommTargets } from '../contract';
import type { JSONObject } from '../contract';
import type { GpuHistory, GpuProcess, GpuSnapshot } from '../contract/gpu';
import { GpuModel } from './model';

function gpu(index: number, uuid: string, allocated = true) {
  return {
    vendor: 'nvidia' as const,
    index,
    uuid,
    name: 'NVIDIA H200',
    busId: null,
    utilizationGpu: 99,
    utilizationMemory: 9,
    memoryUsedMiB: 1395,
    memoryTotalMiB: 143771,
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
    allocated,
    cudaIndex: allocated ? 0 : null
  };
}

function proc(pid: number, extra: Partial<GpuProcess> = {}): GpuProcess {
  return {
    pid,
    gpuUuid: 'GPU-b',
    gpuIndex: 1,
    usedMemoryMiB: 100,
    ownerPid: null,
    ownerKernelId: null,
    user: 'root',
    command: 'python3 train.py',
    ...extra
  };
}

function snapshot(time: number, processes: GpuProcess[] = []): GpuSnapshot {
  return {
    type: 'snapshot',
    time,
    state: 'ok',
    message: null,
    source: 'nvidia-smi',
    allocation: 'CUDA_VISIBLE_DEVICES',
    gpus: [gpu(0, 'GPU-a', false), gpu(1, 'GPU-b')],
    processes,
    host: {
      cpuPercent: 25,
      cpuCount: 2,
      memTotalBytes: 4000,
      memAvailableBytes: 1000,
      diskPath: '/',
      diskTotalBytes: null,
      diskFreeBytes: null
    }
  };
}

const history: GpuHistory = {
  type: 'history',
  keepMs: 1800000,
  points: [10, 11, 12].map((s) => ({
    time: s * 1000,
    gpus: [
      {
        uuid: 'GPU-b',
        utilizationGpu: s,
        memoryUsedMiB: 1000,
        memoryTotalMiB: 4000,
        powerDrawW: 100 + s,
        temperatureC: 40
      }
    ],
    cpuPercent: 50,
    memUsedBytes: 1,
    memTotalBytes: 4
  }))
};

describe('GPU panel model', () => {
  it('draws the history the kernel sent at once, then appends snapshots after it', () => {
    const m = new GpuModel();
    expect(m.ingest(history)).toBe(true);
    expect(m.history('GPU-b')).toMatchObject({
      time: [10, 11, 12],
      util: [10, 11, 12],
      memory: [25, 25, 25],
      power: [110, 111, 112],
      temperature: [40, 40, 40]
    });
    expect(m.hostHistory.memory).toEqual([25, 25, 25]);
    // The snapshot the comm sends after the history is not counted twice.
    m.ingest({ ...snapshot(12000) });
    m.ingest(snapshot(13000));
    expect(m.history('GPU-b').time).toEqual([10, 11, 12, 13]);
    expect(m.hostHistory.cpu).toEqual([50, 50, 50, 25]);
    expect(m.hostHistory.memoryBytes[3]).toBe(3000);
  });

  it('breaks the line where nothing was sampled for a while', () => {
    const m = new GpuModel({ gapSeconds: 15 });
    m.ingest(snapshot(0));
    m.ingest(snapshot(60000));
    expect(m.history('GPU-a').time).toEqual([0, 7.5, 60]);
    expect(m.history('GPU-a').util).toEqual([99, null, 99]);
  });

  it('keeps only the chart window', () => {
    const m = new GpuModel({ historySeconds: 30 });
    for (let t = 0; t <= 100; t++) m.ingest(snapshot(t * 1000));
    expect(m.history('GPU-a').time[0]).toBe(70);
  });

  it('sorts processes by memory, largest first, then by any column both ways', () => {
    const m = new GpuModel();
    m.ingest(
      snapshot(0, [
        proc(30, { usedMemoryMiB: 10, user: 'ada', ownerKernelId: 'k2' }),
        proc(10, { usedMemoryMiB: 500, user: 'root', ownerKernelId: 'k1' }),
        proc(20, { usedMemoryMiB: 50, user: null, command: null })
      ])
    );
    const names = (id: string) => ({ k1: 'b.ipynb', k2: 'a.ipynb' })[id] ?? null;
    const pids = () => m.sortedProcesses(names).map((p) => p.pid);
    expect(pids()).toEqual([10, 20, 30]);
    m.sortProcessesBy('pid');
    expect(pids()).toEqual([10, 20, 30]);
    m.sortProcessesBy('pid');
    expect(pids()).toEqual([30, 20, 10]);
    // Unknown users go last either way.
    m.sortProcessesBy('user');
    expect(pids()).toEqual([30, 10, 20]);
    m.sortProcessesBy('user');
    expect(pids()).toEqual([10, 30, 20]);
    m.sortProcessesBy('notebook');
    expect(pids()).toEqual([30, 10, 20]);
  });

  it('names the allocated GPU in the status item, and a click moves to the next', () => {
    const m = new GpuModel();
    m.ingest(snapshot(0));
    expect(m.statusGpu()?.index).toBe(1);
    expect(m.nextStatusGpu()?.index).toBe(0);
    expect(m.statusGpu()?.index).toBe(0);
    m.ingest(snapshot(1000));
    expect(m.statusGpu()?.index).toBe(0);
    expect(m.nextStatusGpu()?.index).toBe(1);
  });

  it('ignores what is not a snapshot or a history', () => {
    const m = new GpuModel();
    expect(m.ingest({ type: 'history', points: [{ time: 'x' }] })).toBe(false);
    expect(m.ingest({ type: 'other' })).toBe(false);
    expect(m.version).toBe(0);
  });
});

describe('GPU panel model over the services comm', () => {
  test('a services restart reopens the comm with the interval set since, not the first one', async () => {
    const services = new FakeServices();
    const model = new GpuModel({ services, intervalMs: 1000 });
    // Settings read before the comm is opened go with the open, not as a configure.
    model.intervalMs = 2000;
    model.connect();
    services.up();
    const channel = services.channel(CommTargets.gpu);
    expect(channel.opens).toEqual([{ intervalMs: 2000 }]);
    expect(channel.sent).toEqual([]);
    // Changed while connected: the kernel is told at once.
    model.intervalMs = 3000;
    expect(channel.sent).toEqual([{ type: 'configure', intervalMs: 3000 }]);
    // Changed while the kernel is away: the reopen carries it.
    services.away('restarting', 'the services kernel is restarting');
    model.intervalMs = 5000;
    await services.restart();
    expect(channel.opens).toEqual([{ intervalMs: 2000 }, { intervalMs: 5000 }]);
  });

  test('what the comm brings changes the model, and says so; anything else is dropped', () => {
    const services = new FakeServices();
    const model = new GpuModel({ services });
    let changed = 0;
    model.changed.connect(() => changed++);
    model.connect();
    services.up();
    const channel = services.channel(CommTargets.gpu);
    channel.receive(history);
    channel.receive(snapshot(13000) as unknown as JSONObject);
    channel.receive({ type: 'snapshot', time: 'soon' });
    expect(changed).toBe(2);
    expect(model.snapshot?.time).toBe(13000);
  });

  test('the panel says where the services kernel stands', () => {
    const services = new FakeServices();
    const model = new GpuModel({ services });
    const seen: string[] = [];
    model.connectionChanged.connect(() =>
      seen.push(`${model.servicesStatus}: ${model.servicesMessage ?? ''}`)
    );
    model.connect();
    services.up();
    services.away('dead', 'the services kernel died');
    expect(seen).toContain('connected: ');
    expect(seen[seen.length - 1]).toBe('dead: the services kernel died');
  });

  test("the notebook column names each notebook's kernel, never the services kernel", () => {
    const model = new GpuModel();
    model.setSessions([
      { kernel: { id: 'k1' }, type: 'notebook', path: 'work/a.ipynb' },
      { kernel: { id: 'k2' }, type: 'warren-services', path: '.warren/services' },
      { kernel: null, type: 'notebook', path: 'b.ipynb' }
    ]);
    expect(model.notebookOf('k1')).toBe('work/a.ipynb');
    expect(model.notebookOf('k2')).toBeNull();
    model.setSessions([]);
    expect(model.notebookOf('k1')).toBeNull();
  });
});
