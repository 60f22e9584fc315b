import type { JSONObject } from '../../src/contract';
import { Dispatcher, NoReply } from './dispatcher';
import type { Sent } from './memory-transport';
import { MemoryTransport } from './memory-transport';
import { MessageFactory } from './message';

function setup() {
  const transport = new MemoryTransport();
  const logged: string[] = [];
  const dispatcher = new Dispatcher(transport, new MessageFactory('kernel-session'), (t) =>
    logged.push(t)
  );
  return { transport, dispatcher, logged };
}

/** What went out for one request: `iopub:status=busy`, `shell:x_reply`, ... in order. */
function trace(sent: Sent[]): string[] {
  return sent.map(({ channel, msg }) =>
    msg.header.msg_type === 'status'
      ? `${channel}:status=${String(msg.content.execution_state)}`
      : `${channel}:${msg.header.msg_type}`
  );
}

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

test('replies under the reply type of the request, with the request as parent, to its identities', async () => {
  const { transport, dispatcher } = setup();
  dispatcher.register('kernel_info_request', async () => ({ status: 'ok', implementation: 'x' }));
  const req = transport.request('kernel_info_request', {}, { identities: [Buffer.from('peer-7')] });
  const reply = await transport.reply(req);
  expect(reply.header.msg_type).toBe('kernel_info_reply');
  expect(reply.header.session).toBe('kernel-session');
  expect(reply.parent_header).toEqual(req);
  expect(reply.identities.map(String)).toEqual(['peer-7']);
  expect(reply.content).toEqual({ status: 'ok', implementation: 'x' });
});

test('brackets a request with busy and idle on iopub: output and reply in between', async () => {
  const { transport, dispatcher } = setup();
  dispatcher.register('execute_request', async ({ output }) => {
    output.publish('display_data', { data: { 'text/plain': 'hi' }, metadata: {}, transient: {} });
    return { status: 'ok', execution_count: 1 };
  });
  const req = transport.request('execute_request', { code: 'x' });
  await transport.idle(req);
  expect(trace(transport.childrenOf(req))).toEqual([
    'iopub:status=busy',
    'iopub:display_data',
    'shell:execute_reply',
    'iopub:status=idle'
  ]);
});

test('stream output is coalesced and goes out before the reply', async () => {
  const { transport, dispatcher } = setup();
  dispatcher.register('execute_request', async ({ output }) => {
    output.stream('stdout', 'a');
    output.stream('stdout', 'b');
    return { status: 'ok' };
  });
  const req = transport.request('execute_request', { code: 'x' });
  await transport.idle(req);
  const streams = transport.childrenOf(req).filter((s) => s.msg.header.msg_type === 'stream');
  expect(streams.map((s) => s.msg.content.text).join('')).toBe('ab');
  expect(trace(transport.childrenOf(req)).slice(-2)).toEqual([
    'shell:execute_reply',
    'iopub:status=idle'
  ]);
});

test('a handler that throws is answered with an error reply, and idle still goes out', async () => {
  const { transport, dispatcher } = setup();
  dispatcher.register('inspect_request', async () => {
    throw new TypeError('no such thing');
  });
  const req = transport.request('inspect_request', { code: 'x', cursor_pos: 0 });
  const reply = await transport.reply(req);
  expect(reply.content).toEqual({
    status: 'error',
    ename: 'TypeError',
    evalue: 'no such thing',
    traceback: []
  });
  await transport.idle(req);
});

test('a handler that throws NoReply sends no reply, but busy and idle', async () => {
  const { transport, dispatcher } = setup();
  dispatcher.register('comm_msg', async () => {
    throw new NoReply();
  });
  const req = transport.request('comm_msg', { comm_id: 'x', data: {} });
  await transport.idle(req);
  expect(trace(transport.childrenOf(req))).toEqual(['iopub:status=busy', 'iopub:status=idle']);
});

test('an unknown request type is logged and not answered, and the wire is told so', async () => {
  const { transport, logged } = setup();
  const req = transport.request('frobnicate_request', {});
  await transport.idle(req);
  expect(trace(transport.childrenOf(req))).toEqual(['iopub:status=busy', 'iopub:status=idle']);
  expect(logged.join('\n')).toContain('unknown message type frobnicate_request');
  expect(transport.unansweredIds).toEqual([req.msg_id]);
});

test('drops a message whose header is not JSON, one without msg_type, and one whose content is not an object, saying so in the log', async () => {
  const { transport, dispatcher, logged } = setup();
  dispatcher.register('kernel_info_request', async () => ({ status: 'ok' }));
  const parts = { identities: [], parent: '{}', metadata: '{}', content: '{}', buffers: [] };
  transport.deliver('shell', { ...parts, header: '{not json' });
  transport.deliver('shell', { ...parts, header: JSON.stringify({ msg_id: 'a' }) });
  transport.deliver('shell', {
    ...parts,
    header: JSON.stringify({ msg_id: 'b', msg_type: 'kernel_info_request' }),
    content: '[1]'
  });
  await new Promise((r) => setTimeout(r, 20));
  expect(transport.sent).toEqual([]);
  expect(logged).toHaveLength(3);
  expect(logged[0]).toMatch(/dropped a malformed message: .*header is not valid JSON/);
  expect(logged[1]).toMatch(/header lacks msg_type or msg_id/);
  expect(logged[2]).toMatch(/dropped a malformed message: .*content must be a JSON object/);
  // The kernel goes on: a good request after them is answered.
  const req = transport.request('kernel_info_request');
  expect((await transport.reply(req)).content.status).toBe('ok');
});

test('requests run one at a time, in the order they came', async () => {
  const { transport, dispatcher } = setup();
  const gate = deferred();
  dispatcher.register('execute_request', async ({ content }) => {
    if (content.code === 'first') await gate.promise;
    return { status: 'ok' };
  });
  const first = transport.request('execute_request', { code: 'first' });
  const second = transport.request('execute_request', { code: 'second' });
  await new Promise((r) => setTimeout(r, 20));
  expect(transport.childrenOf(second)).toEqual([]);
  gate.resolve();
  await transport.idle(second);
  const order = transport.sent.map(
    (s) => `${s.msg.parent_header.msg_id === first.msg_id ? 'first' : 'second'} ${trace([s])[0]}`
  );
  expect(order).toEqual([
    'first iopub:status=busy',
    'first shell:execute_reply',
    'first iopub:status=idle',
    'second iopub:status=busy',
    'second shell:execute_reply',
    'second iopub:status=idle'
  ]);
});

test('executes queued behind a failed one are aborted under stop_on_error, and the next is run', async () => {
  const { transport, dispatcher } = setup();
  const gate = deferred();
  const ran: string[] = [];
  dispatcher.register('execute_request', async ({ content }) => {
    ran.push(String(content.code));
    if (content.code === 'fail') {
      await gate.promise;
      return { status: 'error', ename: 'Error', evalue: 'x', traceback: [] };
    }
    return { status: 'ok' };
  });
  transport.request('execute_request', { code: 'fail' });
  const queued = transport.request('execute_request', { code: 'queued' });
  const kept = transport.request('execute_request', { code: 'kept', stop_on_error: false });
  gate.resolve();
  expect((await transport.reply(queued)).content).toEqual({
    status: 'aborted',
    execution_count: null
  });
  expect((await transport.reply(kept)).content.status).toBe('aborted');
  await transport.idle(kept);
  // Once the queue has drained, a new execute runs.
  const later = transport.request('execute_request', { code: 'later' });
  expect((await transport.reply(later)).content.status).toBe('ok');
  expect(ran).toEqual(['fail', 'later']);
});

test('a failed execute with stop_on_error false does not abort the queue', async () => {
  const { transport, dispatcher } = setup();
  dispatcher.register('execute_request', async ({ content }) =>
    content.code === 'fail'
      ? { status: 'error', ename: 'Error', evalue: 'x', traceback: [] }
      : { status: 'ok' }
  );
  transport.request('execute_request', { code: 'fail', stop_on_error: false });
  const next = transport.request('execute_request', { code: 'next' });
  expect((await transport.reply(next)).content.status).toBe('ok');
});

test("a failed silent execute does not abort the queue: only a user's cell stops the next", async () => {
  const { transport, dispatcher } = setup();
  dispatcher.register('execute_request', async ({ content }) =>
    content.code === 'fail'
      ? { status: 'error', ename: 'Error', evalue: 'x', traceback: [] }
      : { status: 'ok' }
  );
  transport.request('execute_request', { code: 'fail', silent: true });
  const next = transport.request('execute_request', { code: 'next' });
  expect((await transport.reply(next)).content.status).toBe('ok');
});

test('a reply JSON cannot hold is still answered, with an error that says why and the count', async () => {
  const { transport, dispatcher, logged } = setup();
  const cycle: JSONObject = {};
  cycle.self = cycle;
  dispatcher.register('execute_request', async () => ({
    status: 'ok',
    execution_count: 3,
    user_expressions: { x: cycle }
  }));
  const req = transport.request('execute_request', { code: 'x' });
  const reply = await transport.reply(req);
  expect(reply.content).toMatchObject({
    status: 'error',
    ename: 'TypeError',
    execution_count: 3
  });
  expect(String(reply.content.evalue)).toMatch(/execute_reply could not be encoded: .*circular/);
  expect(logged.join('\n')).toMatch(/execute_reply could not be encoded/);
  await transport.idle(req);
  // Nothing is held back: the kernel answers the next request.
  dispatcher.register('kernel_info_request', async () => ({ status: 'ok' }));
  expect((await transport.reply(transport.request('kernel_info_request'))).content.status).toBe(
    'ok'
  );
});

test('a message with no reply type whose handler throws is logged, and nothing is sent on shell', async () => {
  const { transport, dispatcher, logged } = setup();
  dispatcher.register('comm_msg', async () => {
    throw new RangeError('bad comm data');
  });
  const req = transport.request('comm_msg', { comm_id: 'x', data: {} });
  await transport.idle(req);
  expect(trace(transport.childrenOf(req))).toEqual(['iopub:status=busy', 'iopub:status=idle']);
  expect(logged.join('\n')).toMatch(/failed serving comm_msg: RangeError: bad comm data/);
  expect(transport.unansweredIds).toEqual([req.msg_id]);
});

test('input() sends input_request on stdin to the request, and the input_reply answers it', async () => {
  const { transport, dispatcher } = setup();
  dispatcher.register('execute_request', async ({ output }) => ({
    status: 'ok',
    got: await output.input('name? ', false)
  }));
  const req = transport.request(
    'execute_request',
    { code: 'x', allow_stdin: true },
    {
      identities: [Buffer.from('peer-1')]
    }
  );
  const asked = await transport.next((s) => s.channel === 'stdin');
  expect(asked.msg.header.msg_type).toBe('input_request');
  expect(asked.msg.content).toEqual({ prompt: 'name? ', password: false });
  expect(asked.msg.parent_header.msg_id).toBe(req.msg_id);
  expect(asked.msg.identities.map(String)).toEqual(['peer-1']);
  // A reply to another (withdrawn) input_request is not this one's.
  transport.request(
    'input_reply',
    { value: 'stale' },
    {
      channel: 'stdin',
      parent: { msg_id: 'another' }
    }
  );
  transport.request(
    'input_reply',
    { value: 'Ada' },
    { channel: 'stdin', parent: asked.msg.header }
  );
  expect((await transport.reply(req)).content.got).toBe('Ada');
});

test('input() is refused when the frontend does not allow stdin', async () => {
  const { transport, dispatcher } = setup();
  dispatcher.register('execute_request', async ({ output }) => ({
    status: 'ok',
    got: await output.input('name? ', false)
  }));
  const req = transport.request('execute_request', { code: 'x', allow_stdin: false });
  expect((await transport.reply(req)).content).toMatchObject({
    status: 'error',
    ename: 'StdinNotImplementedError'
  });
  expect(transport.sent.filter((s) => s.channel === 'stdin')).toEqual([]);
});

test('cancelInput rejects a pending input()', async () => {
  const { transport, dispatcher } = setup();
  dispatcher.register('execute_request', async ({ output }) => {
    try {
      await output.input('? ', false);
      return { status: 'ok' };
    } catch (error) {
      return { status: 'error', ename: 'Error', evalue: String(error), traceback: [] };
    }
  });
  const req = transport.request('execute_request', { code: 'x', allow_stdin: true });
  await transport.next((s) => s.channel === 'stdin');
  dispatcher.cancelInput(new Error('interrupted'));
  expect((await transport.reply(req)).content.evalue).toBe('Error: interrupted');
});

test('a request served at once goes beside a running one, without status', async () => {
  const { transport, dispatcher } = setup();
  const gate = deferred();
  dispatcher.register('execute_request', async () => {
    await gate.promise;
    return { status: 'ok' };
  });
  dispatcher.register('comm_info_request', async () => ({ status: 'ok', comms: {} }));
  dispatcher.serveAtOnce((msg) => msg.header.msg_type === 'comm_info_request');
  const running = transport.request('execute_request', { code: 'x' });
  const quick = transport.request('comm_info_request', {});
  expect((await transport.reply(quick)).header.msg_type).toBe('comm_info_reply');
  // An idle of its own would tell the frontend the kernel is idle while a cell runs.
  expect(trace(transport.childrenOf(quick))).toEqual(['shell:comm_info_reply']);
  expect(transport.childrenOf(running).map((s) => s.msg.header.msg_type)).toEqual(['status']);
  gate.resolve();
  await transport.idle(running);
});

test('a request the predicate accepts is queued as usual while nothing runs', async () => {
  const { transport, dispatcher } = setup();
  dispatcher.register('comm_info_request', async () => ({ status: 'ok', comms: {} }));
  dispatcher.serveAtOnce(() => true);
  const req = transport.request('comm_info_request', {});
  await transport.idle(req);
  expect(trace(transport.childrenOf(req))).toEqual([
    'iopub:status=busy',
    'shell:comm_info_reply',
    'iopub:status=idle'
  ]);
});

test('content the handler reads is the request content, narrowed from JSON', async () => {
  const { transport, dispatcher } = setup();
  let seen: JSONObject | null = null;
  dispatcher.register('is_complete_request', async ({ content }) => {
    seen = content;
    return { status: 'complete' };
  });
  const req = transport.request('is_complete_request', { code: 'a + ' });
  await transport.idle(req);
  expect(seen).toEqual({ code: 'a + ' });
});

describe('under a Jupyter server', () => {
  const LIMITS = { bytesPerSecond: 1_000_000, messagesPerSecond: 1000, windowSeconds: 3 };
  const MB2 = ('x'.repeat(99) + '\n').repeat(20_000);

  function paced() {
    const transport = new MemoryTransport();
    const dispatcher = new Dispatcher(
      transport,
      new MessageFactory('kernel-session'),
      () => undefined,
      LIMITS
    );
    return { transport, dispatcher };
  }
  const streamText = (sent: Sent[]) =>
    sent
      .filter((s) => s.msg.header.msg_type === 'stream')
      .map((s) => String(s.msg.content.text))
      .join('');

  test('each cell starts afresh, as the server does when it reads the idle', async () => {
    const { transport, dispatcher } = paced();
    dispatcher.register('execute_request', async ({ output }) => {
      output.stream('stdout', MB2);
      return { status: 'ok', execution_count: 1 };
    });
    for (let cell = 0; cell < 2; cell++) {
      const req = transport.request('execute_request', { code: 'flood' });
      await transport.idle(req);
      // 2 MB, which the server passes on at once: whole, the second cell too.
      expect(streamText(transport.childrenOf(req))).toBe(MB2);
    }
  });

  test("output of an earlier cell that goes on after its idle counts with the next cell's", async () => {
    const { transport, dispatcher } = paced();
    let background: ((text: string) => void) | null = null;
    dispatcher.register('execute_request', async ({ output, content }) => {
      if (content.code === 'start') background = (text) => output.stream('stdout', text);
      else {
        background!(MB2);
        output.stream('stdout', MB2);
      }
      return { status: 'ok', execution_count: 1 };
    });
    await transport.idle(transport.request('execute_request', { code: 'start' }));
    const before = transport.sent.length;
    await transport.idle(transport.request('execute_request', { code: 'flood' }));
    // Both floods came within a moment: what went out between the idles is
    // what the server counts together, and it must stay under 3 MB.
    const counted = transport.sent
      .slice(before)
      .filter((s) => s.msg.header.msg_type === 'stream')
      .reduce((n, s) => n + Buffer.byteLength(JSON.stringify(s.msg.content.text)) + 600, 0);
    expect(counted).toBeLessThanOrEqual(3_000_000);
    expect(counted).toBeGreaterThan(2_000_000);
  });

  test('a request answered with no reply still sends what it held before its idle', async () => {
    const { transport, dispatcher } = paced();
    dispatcher.register('comm_open', async ({ output }) => {
      for (let i = 0; i < 3000; i++)
        output.publish('display_data', {
          data: { 'text/plain': String(i) },
          metadata: {},
          transient: {}
        });
      throw new NoReply();
    });
    // No timer runs: what goes out, goes out with the request itself.
    jest.useFakeTimers({
      doNotFake: ['performance', 'Date', 'setImmediate', 'nextTick', 'queueMicrotask']
    });
    const req = transport.request('comm_open', { comm_id: 'c', target_name: 't', data: {} });
    try {
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    } finally {
      jest.useRealTimers();
    }
    const out = trace(transport.childrenOf(req));
    // Nothing waits behind the idle: the server resets its count when it reads
    // it, and so does the kernel, at once.
    expect(out[out.length - 1]).toBe('iopub:status=idle');
    const texts = transport
      .childrenOf(req)
      .filter((s) => s.msg.header.msg_type === 'stream')
      .map((s) => String(s.msg.content.text));
    const leftOut = texts.reduce(
      (n, t) =>
        n + Number(/\[warren: ([\d,]+) outputs? left out/.exec(t)?.[1].replaceAll(',', '') ?? 0),
      0
    );
    expect(out.filter((t) => t === 'iopub:display_data').length + leftOut).toBe(3000);
  });
});
