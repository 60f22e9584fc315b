import { resolve } from 'node:path';

import type { JSONObject } from '../../src/contract';
import { CommTargets } from '../../src/contract';
import { GpuCollector } from '../services/gpu/collector';
import type { Comm } from './comm';
import { GpuCommTarget } from './gpu';

const env = {
  PATH: `${resolve(__dirname, '../../test/bin')}:${process.env.PATH ?? ''}`,
  WARREN_FAKE_GPU_FIXTURE: 'h100'
};

class FakeComm implements Comm {
  readonly targetName = CommTargets.gpu;
  readonly sent: JSONObject[] = [];
  private onMsg: ((d: JSONObject, b: Uint8Array[]) => void) | null = null;
  private onCls: ((d: JSONObject) => void) | null = null;
  constructor(readonly id: string) {}
  send(data: JSONObject): void {
    this.sent.push(data);
  }
  close(data: JSONObject = {}): void {
    this.onCls?.(data);
    this.onCls = null;
  }
  onMessage(handler: (data: JSONObject, buffers: Uint8Array[]) => void): void {
    this.onMsg = handler;
  }
  onClose(handler: (data: JSONObject) => void): void {
    this.onCls = handler;
  }
  receive(data: JSONObject): void {
    this.onMsg?.(data, []);
  }
  waitFor(n: number, ms = 10000): Promise<void> {
    const t0 = Date.now();
    return new Promise((res, rej) => {
      const poll = (): void => {
        if (this.sent.length >= n) return res();
        if (Date.now() - t0 > ms)
          return rej(new Error(`${this.id}: ${this.sent.length} of ${n} messages`));
        setTimeout(poll, 20);
      };
      poll();
    });
  }
}

describe('warren.gpu comm target', () => {
  it('shares one collector between comms, configures it, and stops it with the last close', async () => {
    const made: GpuCollector[] = [];
    const target = new GpuCommTarget({
      createCollector: () => {
        const c = new GpuCollector({ env, intervalMs: 200 });
        made.push(c);
        return c;
      }
    });
    expect(target.name).toBe('warren.gpu');
    const a = new FakeComm('a');
    const b = new FakeComm('b');
    target.open(a, {});
    await a.waitFor(2);
    target.open(b, {});
    await b.waitFor(3);
    expect(made).toHaveLength(1);
    expect(a.sent[0].type).toBe('history');
    const first = a.sent[1];
    expect(first.type).toBe('snapshot');
    expect(first.state).toBe('ok');
    expect(JSON.stringify(first.gpus)).toContain('"memoryUsedMiB":1395');

    b.receive({ type: 'configure', intervalMs: 500 });
    expect(made[0].interval).toBe(500);
    b.receive({ type: 'configure', intervalMs: 'fast' });
    expect(made[0].interval).toBe(500);

    a.close();
    expect(made[0].isRunning).toBe(true);
    const sentToA = a.sent.length;
    b.close();
    expect(made[0].isRunning).toBe(false);
    await target.dispose();
    await new Promise((r) => setTimeout(r, 600));
    expect(a.sent.length).toBe(sentToA);
    expect(target.size).toBe(0);

    // Opening again starts a fresh collector.
    const c = new FakeComm('c');
    target.open(c, { intervalMs: 300 });
    await c.waitFor(2);
    expect(made).toHaveLength(2);
    expect(made[1].interval).toBe(300);
    await target.dispose();
    expect(made[1].isRunning).toBe(false);
  });
});

describe('warren.gpu history', () => {
  it('a comm opened after the last one closed is sent the earlier snapshots first', async () => {
    const target = new GpuCommTarget({
      createCollector: () => new GpuCollector({ env, intervalMs: 200 })
    });
    try {
      const a = new FakeComm('a');
      target.open(a, {});
      await a.waitFor(5);
      a.close();
      const seen = a.sent.filter((m) => m.type === 'snapshot').map((m) => m.time);

      // A reload: the page's comm closed (sampling stopped), a new one opens.
      const b = new FakeComm('b');
      target.open(b, {});
      await b.waitFor(1);
      const history = b.sent[0];
      expect(history.type).toBe('history');
      expect(history.keepMs).toBe(30 * 60 * 1000);
      const points = history.points as { time: number; gpus: { memoryUsedMiB: number }[] }[];
      expect(points.map((p) => p.time)).toEqual(expect.arrayContaining(seen));
      expect(points[0].gpus[0].memoryUsedMiB).toBe(1395);
    } finally {
      await target.dispose();
    }
  });
});
