import { CommClient } from '../comm/client';
import { FakeServices } from '../comm/fake-services';
import { CommTargets } from '../contract';
import { MountsModel, plural, toolboxFromForm } from './model';

test('the panel model keeps what a volume brought apart from the toolboxes in effect', () => {
  const model = new MountsModel();
  const good = { name: 'mrtools', root: '/v/mrtools', bin: ['bin'], env: { A: '1' }, volume: '/v' };
  expect(
    model.ingest({
      type: 'state',
      time: 1,
      mounts: [],
      toolboxes: [],
      pending: [good, { name: 'no-volume', root: '/v/x', bin: [], env: {} }, 'junk']
    })
  ).toBe(true);
  expect(model.toolboxes).toEqual([]);
  expect(model.pendingToolboxes).toEqual([good]);
  // A kernel from before pending toolboxes existed sends none.
  model.ingest({ type: 'state', time: 2, mounts: [], toolboxes: [] });
  expect(model.pendingToolboxes).toEqual([]);
});

describe('Mounts panel model', () => {
  it('builds a toolbox from the form, bin by default', () => {
    expect(toolboxFromForm({ name: ' fsl ', root: '/opt/fsl ', bin: '' })).toEqual({
      name: 'fsl',
      root: '/opt/fsl',
      bin: ['bin'],
      env: {}
    });
    expect(toolboxFromForm({ name: 'a', root: '/a', bin: 'bin, share/bin' }).bin).toEqual([
      'bin',
      'share/bin'
    ]);
  });

  it('says one command and many commands', () => {
    expect(plural(0, 'command')).toBe('0 commands');
    expect(plural(1, 'command')).toBe('1 command');
    expect(plural(2, 'command')).toBe('2 commands');
  });

  it('keeps the answer to a request until the next', () => {
    const m = new MountsModel();
    const id = m.request();
    expect(m.pending).toBe(true);
    m.ingest({ type: 'result', request: id, ok: true, message: 'toolbox fsl: 1 command' });
    expect(m.pending).toBe(false);
    expect(m.lastResult).toEqual({ ok: true, message: 'toolbox fsl: 1 command' });
  });
});

describe('Mounts panel model over the services comm', () => {
  const spec = { kind: 'bind' as const, source: '/data', mountpoint: '/mnt/data' };

  test('a mount asked for while the services kernel is away waits, is said to wait, and goes when it opens', () => {
    const services = new FakeServices();
    const model = new MountsModel({ services });
    model.mount(spec);
    expect(model.pending).toBe(true);
    // Not an invented failure: the request waits, and the panel says so.
    expect(model.lastResult).toBeNull();
    expect(model.servicesMessage).toBe(
      'waiting for the warren services kernel… (1 request queued)'
    );
    services.up();
    const channel = services.channel(CommTargets.mounts);
    expect(channel.sent).toEqual([
      { type: 'mount', request: 'r1', spec },
      // Each open asks for the log so far.
      { type: 'logs' }
    ]);
    channel.receive({ type: 'result', request: 'r1', ok: true, message: 'mounted' });
    expect(model.pending).toBe(false);
    expect(model.lastResult).toEqual({ ok: true, message: 'mounted' });
  });

  test('a request never delivered is answered as a failed request that says why', () => {
    jest.useFakeTimers();
    try {
      const services = new FakeServices();
      const model = new MountsModel({ services });
      let changed = 0;
      model.changed.connect(() => changed++);
      services.away('dead', 'the services kernel died');
      model.unmount('/mnt/data');
      jest.advanceTimersByTime(CommClient.deliverWithinMs);
      expect(model.pending).toBe(false);
      expect(model.lastResult).toEqual({
        ok: false,
        message:
          'not sent: the warren services kernel was not reachable for 120 s (the services kernel died)'
      });
      expect(changed).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });

  test('each request the panel makes goes out as the kernel reads it', () => {
    const services = new FakeServices();
    services.up();
    const model = new MountsModel({ services });
    const toolbox = { name: 't', root: '/v/t', bin: ['bin'], env: {} };
    model.addToolbox(toolbox);
    model.acceptToolbox('v');
    model.removeToolbox('t');
    model.unmount('/mnt/x');
    expect(services.channel(CommTargets.mounts).sent).toEqual([
      { type: 'add-toolbox', request: 'r1', toolbox },
      { type: 'accept-toolbox', request: 'r2', name: 'v' },
      { type: 'remove-toolbox', request: 'r3', name: 't' },
      { type: 'unmount', request: 'r4', mountpoint: '/mnt/x', forget: true }
    ]);
  });
});
