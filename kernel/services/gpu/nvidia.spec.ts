import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  classifyFailure,
  parseComputeApps,
  parseGpuLine,
  parseList,
  parseNumber,
  QUERY_GPU_FIELDS,
  streamArgs
} from './nvidia';
import type { GpuSample } from './nvidia';

const H100 = join(__dirname, '../../../test/fixtures/gpu/h100');
const read = (name: string): string => readFileSync(join(H100, name), 'utf8');

function samples(file: string): GpuSample[] {
  return read(file)
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const s = parseGpuLine(l);
      if (!s) throw new Error(`unparsed line: ${l}`);
      return s;
    });
}

/** The text of the first <tag> inside the first <section> of nvidia-smi -q -x. */
function xml(doc: string, section: string, tag: string): string {
  const block = new RegExp(`<${section}(?: [^>]*)?>([\\s\\S]*?)</${section}>`).exec(doc);
  if (!block) throw new Error(`no <${section}>`);
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(block[1]);
  if (!m) throw new Error(`no <${tag}> in <${section}>`);
  return m[1];
}
const xmlNumber = (doc: string, section: string, tag: string): number =>
  parseFloat(xml(doc, section, tag));

describe('nvidia-smi parsers on the real H100 capture', () => {
  it('asks the stream for exactly the fields the capture was taken with', () => {
    expect(QUERY_GPU_FIELDS.join(',')).toBe(read('query-gpu-fields.txt').trim());
    expect(streamArgs(500)).toEqual([
      `--query-gpu=${read('query-gpu-fields.txt').trim()}`,
      '--format=csv,noheader,nounits',
      '-lms',
      '500'
    ]);
  });

  it('parses every line of the idle and loaded streams', () => {
    expect(samples('stream-idle.csv')).toHaveLength(20);
    expect(samples('stream-load.csv')).toHaveLength(20);
  });

  it('reads the loaded GPU as nvidia-smi -q -x reports it at the same second', () => {
    const doc = read('q-load.xml');
    const at = xml(doc, 'nvidia_smi_log', 'timestamp'); // "Tue Nov 24 06:01:44 2026"
    const second = /(\d\d:\d\d:\d\d)/.exec(at)?.[1];
    expect(second).toBe('06:01:44');
    const same = samples('stream-load.csv').filter((s) => s.timestamp.includes(` ${second}.`));
    expect(same.length).toBeGreaterThanOrEqual(1);
    // -q -x ran between 06:01:44.3 and 44.6 (load-proc.txt): the 44.506 line is the same instant.
    for (const s of same.slice(-1)) {
      expect(s.timestamp).toBe('2026/11/24 06:01:44.506');
      expect(s.name).toBe(xml(doc, 'gpu', 'product_name'));
      expect(s.uuid).toBe(xml(doc, 'gpu', 'uuid'));
      expect(s.busId).toBe(/<gpu id="([^"]+)">/.exec(doc)?.[1]);
      expect(s.memoryUsedMiB).toBe(xmlNumber(doc, 'fb_memory_usage', 'used'));
      expect(s.memoryTotalMiB).toBe(xmlNumber(doc, 'fb_memory_usage', 'total'));
      expect(s.utilizationGpu).toBe(xmlNumber(doc, 'utilization', 'gpu_util'));
      expect(s.utilizationMemory).toBe(xmlNumber(doc, 'utilization', 'memory_util'));
      expect(s.temperatureC).toBe(xmlNumber(doc, 'temperature', 'gpu_temp'));
      expect(s.powerLimitW).toBe(xmlNumber(doc, 'gpu_power_readings', 'current_power_limit'));
      expect(s.clockSmMHz).toBe(xmlNumber(doc, 'clocks', 'sm_clock'));
      expect(s.clockMemMHz).toBe(xmlNumber(doc, 'clocks', 'mem_clock'));
      // power.draw is a 1 s average sampled at a different instant than the XML's.
      expect(
        Math.abs((s.powerDrawW ?? 0) - xmlNumber(doc, 'gpu_power_readings', 'average_power_draw'))
      ).toBeLessThan(5);
    }
    // Across that whole second memory is the same and utilisation within a point.
    expect(same.map((s) => s.memoryUsedMiB)).toEqual([1395, 1395]);
    expect(same.map((s) => s.utilizationGpu)).toEqual([98, 99]);
    expect(
      same.every(
        (s) => Math.abs((s.utilizationGpu ?? 0) - xmlNumber(doc, 'utilization', 'gpu_util')) <= 1
      )
    ).toBe(true);
  });

  it('reads the idle GPU as idle and the loaded one as busy', () => {
    const idle = samples('stream-idle.csv');
    const load = samples('stream-load.csv');
    expect(idle.every((s) => s.utilizationGpu === 0 && s.memoryUsedMiB === 0)).toBe(true);
    expect(load.every((s) => (s.utilizationGpu ?? 0) >= 98 && s.memoryUsedMiB === 1395)).toBe(true);
    expect(idle[0].powerDrawW).toBe(99.89);
    expect(load[0].powerDrawW).toBe(630.67);
  });

  it('reads [N/A] as null and keeps text fields', () => {
    const s = samples('stream-load.csv')[0];
    expect(s.fanPercent).toBeNull();
    expect(s.migMode).toBe('Disabled');
    expect(s.pcieRxKBs).toBeNull();
    expect(parseNumber('[Not Supported]')).toBeNull();
    expect(parseNumber('[N/A]')).toBeNull();
    expect(parseNumber(' 12.5 ')).toBe(12.5);
    expect(parseNumber('')).toBeNull();
  });

  it('rejects lines that are not samples', () => {
    expect(parseGpuLine('Field "pcie.tx_util" is not a valid field to query.')).toBeNull();
    expect(parseGpuLine('')).toBeNull();
  });

  it('reads the compute apps the XML lists for the same moment', () => {
    const apps = parseComputeApps(read('compute-apps-load.csv'));
    const doc = read('q-load.xml');
    expect(apps).toEqual([
      {
        pid: xmlNumber(doc, 'process_info', 'pid'),
        gpuUuid: 'GPU-85baf24e-6a19-8508-6cde-095e8894dab1',
        usedMemoryMiB: xmlNumber(doc, 'process_info', 'used_memory')
      }
    ]);
    expect(apps[0].pid).toBe(491);
    expect(apps[0].usedMemoryMiB).toBe(1386);
    expect(parseComputeApps('')).toEqual([]);
  });

  it('lists GPUs from -L, and MIG devices under their GPU', () => {
    expect(parseList(read('list.txt'))).toEqual([
      {
        index: 0,
        name: 'NVIDIA H100 80GB HBM3',
        uuid: 'GPU-85baf24e-6a19-8508-6cde-095e8894dab1',
        migDevices: []
      }
    ]);
    // The shape NVIDIA's MIG user guide shows for `nvidia-smi -L` on an A100 in MIG mode.
    const mig = parseList(
      [
        'GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77)',
        '  MIG 1g.5gb      Device  0: (UUID: MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f)',
        '  MIG 1g.5gb      Device  1: (UUID: MIG-cba663e8-9bed-5b25-b243-5985ef7c9beb)',
        'GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-4f8a1f6e-2c1b-7a3e-0c0d-1e2f3a4b5c6d)'
      ].join('\n')
    );
    expect(
      mig.map((g) => g.migDevices.map((m) => `${m.index}:${m.name}:${m.uuid.slice(0, 12)}`))
    ).toEqual([['0:1g.5gb:MIG-c6d4f1ef', '1:1g.5gb:MIG-cba663e8'], []]);
  });

  it('tells a missing driver from other failures', () => {
    expect(
      classifyFailure(
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n"
      ).state
    ).toBe('no-driver');
    expect(classifyFailure('No devices were found').state).toBe('no-gpu');
    expect(classifyFailure('Field "x" is not a valid field to query.')).toEqual({
      state: 'error',
      message: 'Field "x" is not a valid field to query.'
    });
  });
});
