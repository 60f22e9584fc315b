import { CommClient } from '../comm/client';
import { FakeServices } from '../comm/fake-services';
import { CommTargets } from '../contract';
import type { RunSummary } from '../contract/runs';
import {
  applyCarriageReturns,
  formatDuration,
  mapCounts,
  parameterDefaults,
  RunsModel
} from './model';

function run(extra: Partial<RunSummary> = {}): RunSummary {
  return {
    id: 'r1',
    kind: 'notebook',
    profile: 'local-slurm',
    notebook: 'work/a.ipynb',
    jobId: '7',
    state: 'running',
    message: '',
    submitted: '2026-12-01T10:00:00.000Z',
    updated: '2026-12-01T10:00:05.000Z',
    ended: null,
    result: null,
    total: null,
    done: null,
    failed: null,
    ...extra
  };
}

describe('Runs panel model', () => {
  it('lists maps beside notebook runs, newest first, and forgets one', () => {
    const m = new RunsModel();
    m.ingest({
      type: 'runs',
      runs: [
        run(),
        run({ id: 'map-1', kind: 'map', submitted: '2026-12-01T11:00:00.000Z', total: 50 })
      ]
    });
    expect(m.runs.map((r) => r.id)).toEqual(['map-1', 'r1']);
    m.ingest({ type: 'tail', id: 'r1', text: 'x' });
    m.ingest({ type: 'forgotten', id: 'r1' });
    expect(m.runs.map((r) => r.id)).toEqual(['map-1']);
    expect(m.tail('r1')).toBe('');
  });

  it('announces an end once, a cancel included', () => {
    const m = new RunsModel();
    const ended: string[] = [];
    m.ended.connect((_, e) => ended.push(`${e.run.id}:${e.previous}->${e.run.state}`));
    m.ingest({ type: 'runs', runs: [run()] });
    m.ingest({ type: 'run', run: run({ state: 'cancelled' }) });
    m.ingest({ type: 'run', run: run({ state: 'cancelled' }) });
    expect(ended).toEqual(['r1:running->cancelled']);
  });

  it('measures a run from submit to its end, or to now while it runs', () => {
    const now = Date.parse('2026-12-01T10:02:13.000Z');
    expect(RunsModel.duration(run(), now)).toBe(133000);
    expect(
      RunsModel.duration(run({ state: 'completed', ended: '2026-12-01T10:00:45.000Z' }), now)
    ).toBe(45000);
    expect(formatDuration(45000)).toBe('45 s');
    expect(formatDuration(133000)).toBe('2 min 13 s');
    expect(formatDuration(3720000)).toBe('1 h 02 min');
  });

  it("says a map's counts with correct plurals", () => {
    expect(mapCounts(run())).toBeNull();
    expect(mapCounts(run({ kind: 'map', total: 1 }))).toBe('1 command');
    expect(mapCounts(run({ kind: 'map', total: 50, done: 37, failed: 2 }))).toBe(
      '37 of 50 commands done, 2 failed'
    );
  });

  it('shows a progress line as its last redraw, colours kept', () => {
    expect(applyCarriageReturns('a\n10%\r50%\r100%\n\x1b[31mred\x1b[0m\n')).toBe(
      'a\n100%\n\x1b[31mred\x1b[0m\n'
    );
    expect(applyCarriageReturns('[ 42%]\r')).toBe('[ 42%]');
  });

  it('reads the defaults of a parameters cell for the dialog', () => {
    expect(
      parameterDefaults("const subject = 'sub-01';\nlet n: number = 2\n// note\nthreshold = 0.5")
    ).toEqual([
      ['subject', "'sub-01'"],
      ['n', '2'],
      ['threshold', '0.5']
    ]);
  });
});

describe('Runs panel model over the services comm', () => {
  afterEach(() => jest.useRealTimers());

  test('requests made while the services kernel is away wait, and go in order when it opens', () => {
    const services = new FakeServices();
    const model = new RunsModel({ services });
    model.send({ type: 'list' });
    model.send({ type: 'cancel', id: 'r1' });
    model.send({ type: 'list' });
    expect(model.servicesMessage).toBe(
      'waiting for the warren services kernel… (2 requests queued)'
    );
    services.up();
    expect(services.channel(CommTargets.runs).sent).toEqual([
      { type: 'cancel', id: 'r1' },
      { type: 'list' }
    ]);
    expect(model.servicesMessage).toBeNull();
  });

  test('what the kernel sends is taken in', () => {
    const services = new FakeServices();
    const model = new RunsModel({ services });
    services.up();
    model.send({ type: 'list' });
    services.channel(CommTargets.runs).receive({ type: 'runs', runs: [run()] });
    expect(model.runs.map((r) => r.id)).toEqual(['r1']);
  });

  test('a request never delivered is a failure that names it and says why', () => {
    jest.useFakeTimers();
    const services = new FakeServices();
    const model = new RunsModel({ services });
    const failed: string[] = [];
    model.failed.connect((_, m) => failed.push(m));
    services.away('dead', 'the services kernel died');
    model.send({ type: 'retry', id: 'r7' });
    jest.advanceTimersByTime(CommClient.deliverWithinMs);
    expect(failed).toEqual([
      'retry r7: not sent: the warren services kernel was not reachable for 120 s (the services kernel died)'
    ]);
  });

  test('the kernel is told which run to follow only when that changes, and again after a restart', () => {
    jest.useFakeTimers();
    const services = new FakeServices();
    const model = new RunsModel({ services });
    services.up();
    model.ingest({ type: 'runs', runs: [run(), run({ id: 'r2', state: 'completed' })] });
    let followed: string | null = 'r1';
    const follow = model.followTail(() => followed, 1000);
    const channel = services.channel(CommTargets.runs);
    const follows = () => channel.sent.filter((m) => m.type === 'follow').map((m) => m.id);
    // No polling: the page looks again, the kernel hears nothing new.
    jest.advanceTimersByTime(10000);
    expect(follows()).toEqual(['r1']);
    expect(channel.sent.filter((m) => m.type === 'tail')).toEqual([]);
    // A finished run is followed too: the kernel pushes its log once.
    followed = 'r2';
    follow.refresh();
    followed = null;
    jest.advanceTimersByTime(1000);
    expect(follows()).toEqual(['r1', 'r2', null]);
    // While away the changes coalesce into one, sent on reopen; a restarted kernel is told again.
    services.away('restarting', 'the services kernel is restarting');
    followed = 'r2';
    jest.advanceTimersByTime(3000);
    followed = 'r1';
    jest.advanceTimersByTime(3000);
    services.up();
    expect(follows()).toEqual(['r1', 'r2', null, 'r1']);
    services.away('restarting', 'the services kernel is restarting');
    services.up();
    expect(follows()).toEqual(['r1', 'r2', null, 'r1', 'r1']);
    follow.dispose();
    expect(follows()).toEqual(['r1', 'r2', null, 'r1', 'r1', null]);
    jest.advanceTimersByTime(10000);
    expect(follows()).toHaveLength(6);
  });

  test('pushed pieces of a log add up, a reset replaces them, and only the last of it is held', () => {
    const services = new FakeServices();
    const model = new RunsModel({ services });
    services.up();
    model.connect();
    const channel = services.channel(CommTargets.runs);
    channel.receive({ type: 'log', id: 'r1', text: 'cell 1\n', reset: true });
    channel.receive({ type: 'log', id: 'r1', text: '\r50%', reset: false });
    channel.receive({ type: 'log', id: 'r1', text: '\r100%\n', reset: false });
    expect(model.tail('r1')).toBe('cell 1\n\r50%\r100%\n');
    expect(applyCarriageReturns(model.tail('r1'))).toBe('cell 1\n100%\n');
    channel.receive({ type: 'log', id: 'r1', text: 'again\n', reset: true });
    expect(model.tail('r1')).toBe('again\n');
    channel.receive({ type: 'log', id: 'r1', text: 'x'.repeat(RunsModel.tailChars), reset: false });
    expect(model.tail('r1')).toBe('x'.repeat(RunsModel.tailChars));
    // Not ours: taken for nothing.
    expect(model.ingest({ type: 'log', id: 'r1', text: 'y' })).toBe(false);
  });
});
