import type { RawMessage, Transport } from './transport';
import { MessageFactory } from './message';
import { RequestOutput } from './output';
import type { PaceLimits } from './pace';

/** A transport that keeps what is sent on iopub, and always has room. */
function memoryTransport(): Transport & {
  iopub: { type: string; content: unknown; at: number; bytes: number }[];
} {
  const iopub: { type: string; content: unknown; at: number; bytes: number }[] = [];
  return {
    iopub,
    send: (channel, raw: RawMessage) => {
      if (channel === 'iopub')
        iopub.push({
          type: (JSON.parse(raw.header) as { msg_type: string }).msg_type,
          content: JSON.parse(raw.content),
          at: performance.now(),
          bytes: Buffer.byteLength(raw.content) + 600
        });
    },
    onMessage: () => undefined,
    onShutdown: () => undefined,
    onInterrupt: () => undefined,
    pendingBytes: () => 0,
    room: () => Promise.resolve(),
    blockWhileFull: () => undefined,
    unanswered: () => undefined
  };
}

/** jupyter_server's default limits, as a kernel it launched keeps under them. */
const SERVER_LIMITS = { bytesPerSecond: 1_000_000, messagesPerSecond: 1000, windowSeconds: 3 };

/** A request's output on `transport`; paced at `limits` when given (a kernel under a server). */
function output(transport: Transport, limits: PaceLimits | null = null): RequestOutput {
  const factory = new MessageFactory('s');
  return new RequestOutput(
    transport,
    factory,
    factory.header('execute_request'),
    () => Promise.reject(new Error('no stdin')),
    limits
  );
}

afterEach(() => jest.useRealTimers());

test('the first write of a request goes out at once, with no timer', () => {
  jest.useFakeTimers({ doNotFake: ['performance', 'Date', 'setImmediate', 'nextTick'] });
  const transport = memoryTransport();
  output(transport).stream('stdout', 'hello\n');
  expect(transport.iopub.map(({ type, content }) => ({ type, content }))).toEqual([
    { type: 'stream', content: { name: 'stdout', text: 'hello\n' } }
  ]);
});

test('a burst of writes becomes one stream message', () => {
  // The clock faked too: on a busy machine the loop itself can outlast the flush interval.
  jest.useFakeTimers({ doNotFake: ['Date', 'setImmediate', 'nextTick'] });
  jest.advanceTimersByTime(100);
  const transport = memoryTransport();
  const out = output(transport);
  out.stream('stdout', 'first\n');
  for (let i = 0; i < 1000; i++) out.stream('stdout', `${i}\n`);
  expect(transport.iopub).toHaveLength(1);
  jest.advanceTimersByTime(8);
  expect(transport.iopub).toHaveLength(2);
  const burst = transport.iopub[1].content as { name: string; text: string };
  expect(burst.name).toBe('stdout');
  expect(burst.text.split('\n')).toHaveLength(1001);
});

test('other output and a change of stream flush what is held, in order', () => {
  jest.useFakeTimers({ doNotFake: ['performance', 'Date', 'setImmediate', 'nextTick'] });
  const transport = memoryTransport();
  const out = output(transport);
  out.stream('stdout', 'a');
  out.stream('stdout', 'b');
  out.stream('stderr', 'c');
  out.display({ 'text/plain': 'd' });
  expect(transport.iopub.map((m) => m.type)).toEqual([
    'stream',
    'stream',
    'stream',
    'display_data'
  ]);
  expect(transport.iopub.slice(0, 3).map((m) => (m.content as { text: string }).text)).toEqual([
    'a',
    'b',
    'c'
  ]);
});

test('stream content is written byte for byte as JSON.stringify would write it', () => {
  const texts = [
    'plain\nlines\n'.repeat(1000),
    'quotes " and \\ backslashes\n',
    'tab\there, carriage\rreturn, escape \x1b[31m, nul \0, del \x7f\n',
    'latin-1 é ÿ and beyond: 中文, emoji 😀\n',
    'a lone surrogate \ud800 and \udc00 reversed \udc00\ud800\n',
    'line separators \u2028 \u2029\n',
    ''
  ];
  for (const text of texts) {
    const contents: string[] = [];
    const transport: Transport = {
      ...memoryTransport(),
      send: (channel, raw: RawMessage) => void contents.push(raw.content)
    };
    const out = output(transport);
    out.stream('stderr', text);
    out.flush();
    expect(contents).toEqual(text ? [JSON.stringify({ name: 'stderr', text })] : []);
  }
});

describe('under a Jupyter server', () => {
  const NOTE = /\[warren: [^\]]* of output left out here/g;

  function paced(transport: Transport): RequestOutput {
    return output(transport, SERVER_LIMITS);
  }
  const texts = (transport: ReturnType<typeof memoryTransport>) =>
    transport.iopub
      .filter((m) => m.type === 'stream')
      .map((m) => (m.content as { text: string }).text)
      .join('');

  test('a loop that prints a line and updates a display each turn gets a note about once a second, not one a line', () => {
    jest.useFakeTimers({ doNotFake: ['Date', 'setImmediate', 'nextTick'] });
    const transport = memoryTransport();
    const out = paced(transport);
    // 2,000 turns a second for 3 s, each a 1 kB line: twice what the server passes on.
    const line = 'x'.repeat(1000);
    for (let i = 0; i < 6000; i++) {
      out.stream('stdout', `${i} ${line}\n`);
      out.display({ 'text/plain': String(i) }, { displayId: 'progress', update: i > 0 });
      if (i % 2 === 1) jest.advanceTimersByTime(1);
    }
    out.stream('stdout', 'THE-END\n');
    out.flush();
    const text = texts(transport);
    expect(text.endsWith('THE-END\n')).toBe(true);
    const notes = text.match(NOTE) ?? [];
    expect(notes.length).toBeGreaterThan(0);
    expect(notes.length).toBeLessThanOrEqual(8);
  });

  test('a flood then a display: the end of the flood shows before the display', () => {
    jest.useFakeTimers({ doNotFake: ['Date', 'setImmediate', 'nextTick'] });
    const transport = memoryTransport();
    const out = paced(transport);
    for (let i = 0; i < 3000; i++) out.stream('stdout', `${i} ${'y'.repeat(1000)}\n`);
    out.stream('stdout', 'FLOOD-END\n');
    out.display({ 'text/plain': 'the plot' });
    const types = transport.iopub.map((m) => m.type);
    expect(types[types.length - 1]).toBe('display_data');
    expect(texts(transport)).toMatch(/FLOOD-END\n$/);
    expect(texts(transport)).toMatch(NOTE);
  });

  test('a flood then a long silence: its end shows while the command still runs', () => {
    jest.useFakeTimers({ doNotFake: ['Date', 'setImmediate', 'nextTick'] });
    const transport = memoryTransport();
    const out = paced(transport);
    // 3 MB in 30 ms, then nothing: a command that floods, then works quietly.
    for (let i = 0; i < 3000; i++) {
      out.stream('stdout', `${i} ${'z'.repeat(1000)}\n`);
      if (i % 100 === 99) jest.advanceTimersByTime(1);
    }
    out.stream('stdout', 'FLOOD-END\n');
    jest.advanceTimersByTime(8);
    expect(texts(transport)).not.toContain('FLOOD-END');
    jest.advanceTimersByTime(2000);
    expect(texts(transport)).toMatch(/FLOOD-END\n$/);
    expect(texts(transport)).toMatch(NOTE);
    // The end of the request has nothing more to say.
    const before = transport.iopub.length;
    out.flush();
    expect(transport.iopub.length).toBe(before);
  });
});

test('under a server, an output that waits shows what it held when shown, not what its object holds later', () => {
  jest.useFakeTimers({ doNotFake: ['Date', 'setImmediate', 'nextTick'] });
  const transport = memoryTransport();
  const out = output(transport, SERVER_LIMITS);
  // The message budget spent: what follows waits.
  for (let i = 0; i < 3000; i++) out.display({ 'text/plain': String(i) });
  const state = { epoch: 0, loss: [1.0] };
  for (let epoch = 1; epoch <= 5; epoch++) {
    state.epoch = epoch;
    state.loss.push(1 / epoch);
    out.display({ 'application/json': state, 'text/plain': `epoch ${epoch}` });
  }
  out.flush();
  const shown = transport.iopub
    .map((m) => (m.content as { data?: Record<string, unknown> }).data?.['application/json'])
    .filter((d): d is { epoch: number; loss: number[] } => d !== undefined);
  expect(shown.map((d) => d.epoch)).toEqual([1, 2, 3, 4, 5]);
  expect(shown.map((d) => d.loss.length)).toEqual([2, 3, 4, 5, 6]);
});

test('under a server, text that waits behind held outputs is counted when it goes, not when it came', () => {
  jest.useFakeTimers({ doNotFake: ['Date', 'setImmediate', 'nextTick'] });
  const transport = memoryTransport();
  const out = output(transport, SERVER_LIMITS);
  // 3,000 displays at once (the message budget spent), then 5 s of
  // 76-column lines at about 1.5 MB/s.
  for (let i = 0; i < 3000; i++) out.display({ 'text/plain': String(i) });
  const lines = `${'x'.repeat(75)}\n`.repeat(20);
  for (let t = 0; t < 5000; t++) {
    out.stream('stdout', lines);
    jest.advanceTimersByTime(1);
  }
  out.stream('stdout', 'THE-END\n');
  out.flush();
  // The server's byte count over any 3 s of what went out.
  const streams = transport.iopub.filter((m) => m.type === 'stream');
  let worst = 0;
  for (let i = 0, j = 0, sum = 0; i < streams.length; i++) {
    sum += streams[i].bytes;
    while (streams[j].at <= streams[i].at - 3000) sum -= streams[j++].bytes;
    worst = Math.max(worst, sum);
  }
  expect(worst).toBeLessThanOrEqual(3_000_000);
  const last = streams[streams.length - 1].content as { text: string };
  expect(last.text.endsWith('THE-END\n')).toBe(true);
});

test('under a server, a flood goes to the page in few large messages', () => {
  jest.useFakeTimers({ doNotFake: ['Date', 'setImmediate', 'nextTick'] });
  jest.advanceTimersByTime(100);
  const transport = memoryTransport();
  const out = output(transport, SERVER_LIMITS);
  // 2 MB in 4 kB reads over 100 ms: what the server passes on at once.
  const read = `${'x'.repeat(79)}\n`.repeat(50);
  for (let i = 0; i < 500; i++) {
    out.stream('stdout', read);
    if (i % 5 === 4) jest.advanceTimersByTime(1);
  }
  out.flush();
  const streams = transport.iopub.filter((m) => m.type === 'stream');
  expect(streams.map((m) => (m.content as { text: string }).text).join('')).toBe(read.repeat(500));
  expect(streams.length).toBeLessThanOrEqual(6);
});

test('under a server, text left out before a clear_output is not shown after it', () => {
  jest.useFakeTimers({ doNotFake: ['Date', 'setImmediate', 'nextTick'] });
  jest.advanceTimersByTime(100);
  const transport = memoryTransport();
  const out = output(transport, SERVER_LIMITS);
  // Two frames of a loop that prints a flood, then clears and starts again.
  for (let frame = 0; frame < 2; frame++) {
    for (let i = 0; i < 40; i++) {
      out.stream('stdout', `frame ${frame} ${'y'.repeat(100_000)}\n`);
      jest.advanceTimersByTime(1);
    }
    out.clear(false);
  }
  out.stream('stdout', 'after\n');
  out.flush();
  const types = transport.iopub.map((m) => m.type);
  const lastClear = types.lastIndexOf('clear_output');
  const after = transport.iopub
    .slice(lastClear + 1)
    .map((m) => ((m.content as { text?: string }).text ?? m.type).slice(0, 40));
  expect(after).toEqual(['after\n']);
});

describe('under a server, while outputs wait for the message budget', () => {
  function paced(transport: Transport): RequestOutput {
    jest.useFakeTimers({ doNotFake: ['Date', 'setImmediate', 'nextTick'] });
    jest.advanceTimersByTime(100);
    return output(transport, SERVER_LIMITS);
  }
  /** What the page ends showing: outputs, a pending clear(wait) applied at the next one added. */
  function page(sent: { type: string; content: unknown }[]): string[] {
    let shown: string[] = [];
    let pending = false;
    for (const { type, content } of sent) {
      const c = content as {
        name?: string;
        text?: string;
        wait?: boolean;
        data?: Record<string, string>;
      };
      if (type === 'clear_output') {
        if (c.wait) pending = true;
        else shown = [];
        continue;
      }
      if (type !== 'stream' && type !== 'display_data') continue;
      if (pending) {
        shown = [];
        pending = false;
      }
      shown.push(type === 'stream' ? c.text! : c.data!['text/plain']);
    }
    return shown;
  }

  test('lines printed beside a display updated 1,500 times a second all show, with no note', () => {
    const transport = memoryTransport();
    const out = paced(transport);
    out.display({ 'text/plain': '0' }, { displayId: 'p' });
    let line = 0;
    // 8 s: each millisecond one or two updates; every 5 ms a 950-byte line (190 kB/s).
    for (let t = 0; t < 8000; t++) {
      out.display({ 'text/plain': String(t) }, { displayId: 'p', update: true });
      if (t % 2 === 0) out.display({ 'text/plain': String(t) }, { displayId: 'p', update: true });
      if (t % 5 === 0) out.stream('stdout', `line ${++line} ${'z'.repeat(940)}\n`);
      jest.advanceTimersByTime(1);
    }
    out.flush();
    const text = transport.iopub
      .filter((m) => m.type === 'stream')
      .map((m) => (m.content as { text: string }).text)
      .join('');
    expect(text).not.toContain('left out');
    expect(text.split('\n').filter((l) => l.startsWith('line ')).length).toBe(line);
  });

  test('a line printed before a display shows before it', () => {
    const transport = memoryTransport();
    const out = paced(transport);
    for (let i = 0; i < 3000; i++) out.display({ 'text/plain': `row ${i}` });
    for (let i = 0; i < 30; i++) {
      out.stream('stdout', `line ${i}\n`);
      out.display({ 'text/plain': `img ${i}` });
      jest.advanceTimersByTime(100);
    }
    out.flush();
    const order = transport.iopub
      .map((m) => {
        const c = m.content as { text?: string; data?: Record<string, string> };
        return m.type === 'stream' ? c.text! : (c.data?.['text/plain'] ?? '');
      })
      .join('')
      .match(/(line|img) \d+/g)!;
    const want = Array.from({ length: 30 }, (_, i) => [`line ${i}`, `img ${i}`]).flat();
    expect(order.filter((x) => want.includes(x))).toEqual(want.filter((x) => order.includes(x)));
    expect(order).toContain('img 29');
  });

  test('a loop of frames, each printed then cleared with wait, ends showing its last frame', () => {
    const transport = memoryTransport();
    const out = paced(transport);
    // As IPython's idiom: print the frame, then clear_output(wait=True).
    for (let f = 0; f < 60; f++) {
      out.stream('stdout', `frame ${f}\n${'f'.repeat(220_000)}\n`);
      out.clear(true);
      jest.advanceTimersByTime(50);
    }
    out.flush();
    const shown = page(transport.iopub).join('');
    expect(shown).toContain('frame 59');
    expect(shown).not.toContain('frame 58');
  });
});
