import { MessagePace } from './message-pace';
import type { Outgoing } from './message-pace';

const LIMIT = 1000;
const WINDOW_S = 3;

const update = (id: string, value: string): Outgoing => ({
  kind: 'message',
  type: 'update_display_data',
  content: { data: { 'text/plain': value }, metadata: {}, transient: { display_id: id } },
  metadata: {},
  buffers: []
});
const show = (value: string, id?: string): Outgoing => ({
  kind: 'message',
  type: 'display_data',
  content: {
    data: { 'text/plain': value },
    metadata: {},
    transient: id ? { display_id: id } : {}
  },
  metadata: {},
  buffers: []
});
const clear = (): Outgoing => ({
  kind: 'message',
  type: 'clear_output',
  content: { wait: true },
  metadata: {},
  buffers: []
});
const status = (state: string): Outgoing => ({
  kind: 'message',
  type: 'status',
  content: { execution_state: state },
  metadata: {},
  buffers: []
});
const line = (name: 'stdout' | 'stderr', text: string): Outgoing => ({
  kind: 'stream',
  name,
  text
});

const plain = (m: Outgoing) =>
  m.kind === 'stream' ? m.text : (m.content.data as { 'text/plain': string })['text/plain'];

/**
 * jupyter_server's message limit as ZMQChannelsWebsocketConnection._limit_rate
 * applies it to what the kernel sent: every message but status, execute_input
 * and comm_open counts for a window; past the limit it drops everything until
 * the rate is below 0.8 of it. Returns what reaches the page, and whether the
 * server ever stopped passing messages on.
 */
function throughServer(sent: { at: number; item: Outgoing }[]) {
  const expiries: number[] = [];
  let exceeded = false;
  let everExceeded = false;
  const passed: Outgoing[] = [];
  for (const { at, item } of sent) {
    const type = item.kind === 'stream' ? 'stream' : item.type;
    if (type === 'status' || type === 'execute_input' || type === 'comm_open') {
      passed.push(item);
      continue;
    }
    const now = at / 1000;
    while (expiries.length > 0 && now >= expiries[0]) expiries.shift();
    expiries.push(now + WINDOW_S);
    const rate = expiries.length / WINDOW_S;
    if (rate > LIMIT) {
      exceeded = true;
      everExceeded = true;
    } else if (exceeded && rate < 0.8 * LIMIT) exceeded = false;
    if (exceeded) expiries.pop();
    else passed.push(item);
  }
  return { passed, everExceeded };
}

/**
 * When each message reaches the server: sent at `at`, late by up to `maxLagMs`
 * (a busy server reads its sockets late, then many at once), in order.
 */
function delivered(sent: { at: number; item: Outgoing }[], maxLagMs: number, seed = 7) {
  let x = seed;
  const random = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let last = 0;
  // Late in spells: a stretch of messages held up about as long, then caught up.
  let lag = 0;
  return sent.map(({ at, item }, i) => {
    if (i % 200 === 0) lag = random() * maxLagMs;
    last = Math.max(last, at + lag);
    return { at: last, item };
  });
}

/**
 * A cell writing `items` at `perSecond`, with the release timer turning every
 * `tickMs` (a synchronous loop turns none: tickMs Infinity), then the end of
 * the request. Each message published, with when.
 */
function run(items: Outgoing[], perSecond: number, tickMs = 10) {
  const pace = new MessagePace(LIMIT, WINDOW_S, 0);
  const sent: { at: number; item: Outgoing }[] = [];
  let nextTick = tickMs;
  items.forEach((item, i) => {
    const at = (i / perSecond) * 1000;
    while (nextTick <= at) {
      for (const m of pace.release(nextTick)) sent.push({ at: nextTick, item: m });
      nextTick += tickMs;
    }
    for (const m of pace.offer(item, at)) sent.push({ at, item: m });
  });
  const end = (items.length / perSecond) * 1000;
  for (const m of pace.settle(end)) sent.push({ at: end, item: m });
  return sent;
}

describe('MessagePace', () => {
  test('messages within the limit go out when they come, unchanged', () => {
    // 400 displays a second for ten seconds.
    const items = Array.from({ length: 4000 }, (_, i) => show(String(i)));
    const sent = run(items, 400);
    expect(sent.map((s) => s.item)).toEqual(items);
    sent.forEach((s, i) => expect(s.at).toBe((i / 400) * 1000));
  });

  test.each([
    ['a synchronous loop', Infinity],
    ['a loop that awaits', 10]
  ])(
    '20,000 updates of a progress display in %s: the server never stops, the page ends on the last value and the line after it',
    (_, tick) => {
      const items = [
        status('busy'),
        show('0', 'p'),
        ...Array.from({ length: 20_000 }, (_, i) => update('p', String(i + 1))),
        line('stdout', 'THE-END\n')
      ];
      const sent = run(items, 20_000, tick);
      const { passed, everExceeded } = throughServer(sent);
      expect(everExceeded).toBe(false);
      const shown = passed.filter((m) => m.kind === 'message' && m.type.endsWith('display_data'));
      expect(plain(shown[shown.length - 1])).toBe('20000');
      expect(plain(passed[passed.length - 1])).toBe('THE-END\n');
      // Updates folded, not left out: no note.
      expect(passed.some((m) => m.kind === 'stream' && m.name === 'stderr')).toBe(false);
      // And it used the room it had.
      expect(shown.length).toBeGreaterThan(LIMIT);
    }
  );

  test.each([
    ['a synchronous loop', Infinity],
    ['a loop that awaits', 10]
  ])(
    'a progress display updated between many other outputs, in %s, ends on its last value',
    (_, tick) => {
      const items = [status('busy'), show('0', 'p')];
      for (let i = 1; i <= 5000; i++) items.push(show(`row ${i}`), update('p', String(i)));
      items.push(line('stdout', 'THE-END\n'));
      const { passed, everExceeded } = throughServer(run(items, 20_000, tick));
      expect(everExceeded).toBe(false);
      const progress = passed.filter(
        (m) =>
          m.kind === 'message' &&
          (m.content.transient as { display_id?: string } | undefined)?.display_id === 'p'
      );
      expect(plain(progress[progress.length - 1])).toBe('5000');
      expect(plain(passed[passed.length - 1])).toBe('THE-END\n');
      // Rows were left out, and said so.
      expect(passed.some((m) => m.kind === 'stream' && /left out/.test(m.text))).toBe(true);
    }
  );

  test('2,000 outputs at once, which the server passes on, all reach the page', () => {
    const items = Array.from({ length: 2000 }, (_, i) => show(`row ${i}`));
    items.push(line('stdout', 'THE-END\n'));
    const { passed, everExceeded } = throughServer(run(items, 100_000, Infinity));
    expect(everExceeded).toBe(false);
    expect(passed.filter((m) => m.kind === 'message').map(plain)).toEqual(
      items.slice(0, 2000).map(plain)
    );
    expect(plain(passed[passed.length - 1])).toBe('THE-END\n');
  });

  test.each([
    ['a progress display', 20_000, 20_000],
    ['distinct outputs', 30_000, 6_000]
  ])(
    '%s reaching the server up to a second late, unevenly, never stops it',
    (kind, count, perSecond) => {
      const items =
        kind === 'distinct outputs'
          ? Array.from({ length: count }, (_, i) => show(`out ${i}`))
          : [
              show('0', 'p'),
              ...Array.from({ length: count }, (_, i) => update('p', String(i + 1)))
            ];
      for (const seed of [1, 2, 3, 4, 5]) {
        const sent = delivered(run(items, perSecond), 1000, seed);
        expect(throughServer(sent).everExceeded).toBe(false);
      }
    }
  );

  test('a display still waiting shows the data of a later update of it', () => {
    const pace = new MessagePace(LIMIT, WINDOW_S, 0);
    for (let i = 0; i < 5000; i++) pace.offer(show(String(i)), 0);
    pace.offer(show('first', 'q'), 0);
    pace.offer(update('q', 'second'), 0);
    const end = pace.settle(0);
    expect(end.map(plain)).not.toContain('first');
    expect(end.some((m) => m.kind === 'message' && m.type === 'update_display_data')).toBe(false);
    const last = end[end.length - 1];
    expect(last.kind === 'message' && last.type).toBe('display_data');
    expect(plain(last)).toBe('second');
  });

  test('an animation (clear_output, then a frame) drops the frames it clears and ends on the last', () => {
    const items: Outgoing[] = [];
    for (let i = 0; i < 10_000; i++) items.push(clear(), show(`frame ${i}`));
    const sent = run(items, 5_000);
    const { passed, everExceeded } = throughServer(sent);
    expect(everExceeded).toBe(false);
    expect(plain(passed[passed.length - 1])).toBe('frame 9999');
    const beforeLast = passed[passed.length - 2];
    expect(beforeLast.kind === 'message' && beforeLast.type).toBe('clear_output');
    // Nothing the page would have shown for long is reported left out.
    expect(passed.some((m) => m.kind === 'stream')).toBe(false);
  });

  test('a cell that ends on clear_output(wait=True) still shows what came before it', () => {
    const items: Outgoing[] = Array.from({ length: 5000 }, (_, i) => show(`out ${i}`));
    items.push(show('A'), show('B'), clear());
    const { passed, everExceeded } = throughServer(run(items, 100_000, Infinity));
    expect(everExceeded).toBe(false);
    const shown = passed.map((m) =>
      m.kind === 'message' && m.type === 'clear_output' ? 'clear' : plain(m)
    );
    expect(shown.slice(-3)).toEqual(['A', 'B', 'clear']);
  });

  test('an update of a display on the page still goes when a copy of it waits', () => {
    const pace = new MessagePace(LIMIT, WINDOW_S, 0);
    const sent: Outgoing[] = [];
    sent.push(...pace.offer(show('v0', 'bar'), 0));
    for (let i = 0; i < 3000; i++) sent.push(...pace.offer(show(String(i)), 0));
    for (const item of [update('bar', 'v1'), show('v1', 'bar'), update('bar', 'v2')])
      sent.push(...pace.offer(item, 0));
    sent.push(...pace.settle(0));
    const bar = sent.filter(
      (m) =>
        m.kind === 'message' &&
        (m.content.transient as { display_id?: string }).display_id === 'bar'
    );
    // The first bar (on the page) and its copy both end on v2.
    expect(bar[0].kind === 'message' && bar[0].type).toBe('display_data');
    const updates = bar.filter((m) => m.kind === 'message' && m.type === 'update_display_data');
    expect(updates.map(plain)).toEqual(['v2']);
    const copy = bar.filter((m, i) => i > 0 && m.kind === 'message' && m.type === 'display_data');
    expect(copy.map(plain)).toEqual(['v2']);
  });

  test('clear_output(wait=True) waits for an output added, not an update of a display', () => {
    const pace = new MessagePace(LIMIT, WINDOW_S, 0);
    const sent: Outgoing[] = [];
    sent.push(...pace.offer(show('0', 'p'), 0));
    for (let i = 0; i < 3000; i++) sent.push(...pace.offer(show(String(i)), 0));
    for (const item of [show('TABLE'), clear(), update('p', '1'), clear()])
      sent.push(...pace.offer(item, 0));
    sent.push(...pace.settle(0));
    // Nothing was added after the first clear: the page still shows TABLE.
    expect(
      sent.map((m) => (m.kind === 'message' && m.type === 'clear_output' ? 'clear' : plain(m)))
    ).toContain('TABLE');
  });

  test('clear_output(wait=True) called over and over waits as one: no outputs reported left out', () => {
    const items: Outgoing[] = [];
    // A loop clearing 3,000 times a second, printing its status every 500 steps.
    for (let i = 0; i < 15_000; i++) {
      items.push(clear());
      if (i % 500 === 0) items.push(line('stdout', `step ${i}\n`));
    }
    const { passed, everExceeded } = throughServer(run(items, 3_000));
    expect(everExceeded).toBe(false);
    expect(passed.some((m) => m.kind === 'stream' && /left out/.test(m.text))).toBe(false);
    expect(plain(passed.filter((m) => m.kind === 'stream').pop()!)).toBe('step 14500\n');
  });

  test('more outputs than the budget: the oldest are left out, with a note where they were, and the latest are shown', () => {
    // Five seconds of 6,000 outputs a second.
    const items = Array.from({ length: 30_000 }, (_, i) => show(`out ${i}`));
    const sent = run(items, 6_000);
    const { passed, everExceeded } = throughServer(sent);
    expect(everExceeded).toBe(false);
    const notes = passed.filter((m) => m.kind === 'stream');
    // A note and the latest outputs about once a second, not a note per output.
    expect(notes.length).toBeGreaterThanOrEqual(4);
    expect(notes.length).toBeLessThanOrEqual(6);
    const leftOut = notes.reduce((n, m) => {
      const match =
        /\[warren: ([\d,]+) outputs? left out here: .*\(1,000 messages\/s\)\.\]\n$/.exec(plain(m));
      expect(match).not.toBeNull();
      return n + Number(match![1].replaceAll(',', ''));
    }, 0);
    const displays = passed.filter((m) => m.kind === 'message');
    // What the notes count and what was shown add up to what was written.
    expect(displays.length + leftOut).toBe(items.length);
    expect(plain(displays[0])).toBe('out 0');
    expect(plain(displays[displays.length - 1])).toBe('out 29999');
    // Shown in the order written, each note where outputs were left out.
    const numbers = displays.map((m) => Number(plain(m).slice(4)));
    for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBeGreaterThan(numbers[i - 1]);
    const firstNote = passed.findIndex((m) => m.kind === 'stream');
    const before = passed[firstNote - 1];
    const after = passed[firstNote + 1];
    expect(Number(plain(after).slice(4)) - Number(plain(before).slice(4)) - 1).toBe(
      Number(/([\d,]+) output/.exec(plain(passed[firstNote]))![1].replaceAll(',', ''))
    );
  });

  test('streams and uncounted messages keep their order behind what waits', () => {
    const pace = new MessagePace(LIMIT, WINDOW_S, 0);
    const out: Outgoing[] = [];
    for (let i = 0; i < 3000; i++) out.push(...pace.offer(show(String(i)), 0));
    for (const item of [line('stdout', 'a\n'), line('stdout', 'b\n'), line('stderr', 'oops\n')])
      out.push(...pace.offer(item, 0));
    out.push(...pace.offer(status('idle'), 0));
    expect(out.length).toBeLessThan(3000);
    out.push(...pace.settle(0));
    const tail = out.slice(-3);
    // One stream's text joins what of it waited; the other stream stays apart.
    expect(tail.map((m) => (m.kind === 'stream' ? `${m.name}:${m.text}` : m.type))).toEqual([
      'stdout:a\nb\n',
      'stderr:oops\n',
      'status'
    ]);
  });

  test('a loop of large images holds at most 16 MB while it waits; the rest are left out, and said so', () => {
    const pace = new MessagePace(LIMIT, WINDOW_S, 0);
    // The budget spent on small outputs, then 100 images of a megabyte each.
    const sent: Outgoing[] = [];
    for (let i = 0; i < 3000; i++) sent.push(...pace.offer(show(String(i)), 0));
    const image = 'i'.repeat(1024 * 1024);
    for (let i = 0; i < 100; i++) sent.push(...pace.offer(show(`${i}:${image}`), 0));
    expect(pace.waitingSize).toBeLessThanOrEqual(17 * 1024 * 1024);
    expect(pace.waitingSize).toBeGreaterThan(14 * 1024 * 1024);
    const end = pace.settle(0);
    expect(pace.waitingSize).toBe(0);
    const all = [...sent, ...end];
    const notes = all.filter((m) => m.kind === 'stream');
    expect(plain(end[0])).toMatch(/\[warren: ([\d,]+) outputs left out here/);
    const leftOut = notes.reduce(
      (n, m) =>
        n + Number(/\[warren: ([\d,]+) outputs? left out/.exec(plain(m))![1].replaceAll(',', '')),
      0
    );
    const shown = all.filter((m) => m.kind === 'message');
    // Every output written is shown or counted in a note, and the last is shown.
    expect(shown.length + leftOut).toBe(3100);
    expect(plain(shown[shown.length - 1]).startsWith('99:')).toBe(true);
  });

  test('large JSON outputs count at their size for the 16 MB bound', () => {
    const pace = new MessagePace(LIMIT, WINDOW_S, 0);
    for (let i = 0; i < 3000; i++) pace.offer(show(String(i)), 0);
    // 40 tables of a megabyte each, as objects (application/json).
    const table = Array.from({ length: 50_000 }, (_, i) => ({ row: i, v: 'xxxxx' }));
    for (let i = 0; i < 40; i++)
      pace.offer(
        {
          kind: 'message',
          type: 'display_data',
          content: { data: { 'application/json': { i, table } }, metadata: {}, transient: {} },
          metadata: {},
          buffers: []
        },
        0
      );
    expect(pace.waitingSize).toBeGreaterThan(14 * 1024 * 1024);
    expect(pace.waitingSize).toBeLessThanOrEqual(17 * 1024 * 1024);
  });
});

test('while outputs are left out, the pace asks to be woken for the next note, not every few milliseconds', () => {
  const pace = new MessagePace(LIMIT, WINDOW_S, 0);
  for (let i = 0; i < 6000; i++) pace.offer(show(`out ${i}`), i / 10);
  const now = 600;
  // Leaving out since the first note: the next one is due a second after it.
  expect(pace.holding).toBe(true);
  const woken: number[] = [];
  let t = now;
  while (t < now + 3000) {
    pace.release(t);
    t += Math.max(10, pace.wait(t));
    woken.push(t);
  }
  expect(woken.length).toBeLessThanOrEqual(12);
});
