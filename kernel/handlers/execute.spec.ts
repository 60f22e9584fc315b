import type { JSONObject } from '../../src/contract';
import type { Engine, ExecuteResult, OutputSink } from '../engines/engine';
import { Dispatcher } from '../protocol/dispatcher';
import { MemoryTransport } from '../protocol/memory-transport';
import { MessageFactory } from '../protocol/message';
import { History } from '../services/history';
import { executeHandler } from './execute';

/** An engine that runs a few fixed cells: `print X`, `value X`, `fail`, `ask`, `leave`. */
function fakeEngine(): Engine {
  const run = async (code: string, sink: OutputSink): Promise<ExecuteResult> => {
    if (code.startsWith('print ')) sink.stream('stdout', code.slice(6) + '\n');
    if (code.startsWith('value ')) return { status: 'ok', value: { 'text/plain': code.slice(6) } };
    if (code === 'fail')
      return {
        status: 'error',
        ename: 'RangeError',
        evalue: 'too far',
        traceback: ['RangeError: too far']
      };
    if (code === 'leave') return { status: 'ok', askExit: true };
    if (code === 'cycle') return { status: 'ok', value: { 'application/json': cyclic() } };
    if (code === 'ask')
      return { status: 'ok', value: { 'text/plain': await sink.input('? ', false) } };
    return { status: 'ok' };
  };
  return {
    execute: run,
    evaluate: async (e) =>
      e === 'bad'
        ? { status: 'error', ename: 'ReferenceError', evalue: 'bad', traceback: [] }
        : e === 'cycle'
          ? { status: 'ok', data: { 'application/json': cyclic() } }
          : { status: 'ok', data: { 'text/plain': `<${e}>` } },
    complete: async () => ({ matches: [], cursorStart: 0, cursorEnd: 0 }),
    inspect: async () => ({ found: false, data: {} }),
    isComplete: async () => ({ status: 'complete' }),
    interrupt: () => {},
    dispose: async () => {}
  };
}

/** A value JSON cannot hold, as a cell's `rich({'application/json': x})` may give. */
function cyclic(): JSONObject {
  const x: JSONObject = {};
  x.self = x;
  return x;
}

function setup() {
  const transport = new MemoryTransport();
  const history = new History(null);
  const dispatcher = new Dispatcher(transport, new MessageFactory(), () => {});
  dispatcher.register('execute_request', executeHandler(fakeEngine(), history));
  const execute = async (code: string, extra: Record<string, unknown> = {}) => {
    const req = transport.request('execute_request', { code, ...extra });
    await transport.idle(req);
    const sent = transport.childrenOf(req);
    return {
      reply: sent.find((s) => s.channel === 'shell')!.msg.content,
      iopub: sent.filter((s) => s.channel === 'iopub').map((s) => s.msg)
    };
  };
  return { transport, history, execute };
}

const types = (msgs: { header: { msg_type: string } }[]) => msgs.map((m) => m.header.msg_type);

test('counts executions, echoes the input and replies with the count', async () => {
  const { execute } = setup();
  const one = await execute('print a');
  const two = await execute('print b');
  expect(one.reply).toMatchObject({ status: 'ok', execution_count: 1, payload: [] });
  expect(two.reply.execution_count).toBe(2);
  expect(types(two.iopub)).toEqual(['status', 'execute_input', 'stream', 'status']);
  expect(two.iopub[1].content).toEqual({ code: 'print b', execution_count: 2 });
  expect(two.iopub[2].content).toEqual({ name: 'stdout', text: 'b\n' });
});

test('a cell that asks to leave replies with the ask_exit payload', async () => {
  const { execute } = setup();
  const { reply } = await execute('leave');
  expect(reply).toMatchObject({
    status: 'ok',
    payload: [{ source: 'ask_exit', keepkernel: false }]
  });
  expect((await execute('print a')).reply.payload).toEqual([]);
});

test('a value is published as execute_result and its text stored in history', async () => {
  const { execute, history } = setup();
  const r = await execute('value 42');
  const result = r.iopub.find((m) => m.header.msg_type === 'execute_result')!;
  expect(result.content).toEqual({
    execution_count: 1,
    data: { 'text/plain': '42' },
    metadata: {}
  });
  expect(history.tail(1, true)).toEqual([[history.session, 1, ['value 42', '42']]]);
});

test('an error is published and replied with its name, value and traceback', async () => {
  const { execute } = setup();
  const r = await execute('fail');
  const error = { ename: 'RangeError', evalue: 'too far', traceback: ['RangeError: too far'] };
  expect(r.reply).toEqual({ status: 'error', execution_count: 1, ...error });
  expect(r.iopub.find((m) => m.header.msg_type === 'error')!.content).toEqual(error);
});

test('a silent request publishes nothing but status, is not counted, and is not stored', async () => {
  const { execute, history } = setup();
  const r = await execute('print hidden', { silent: true });
  expect(types(r.iopub)).toEqual(['status', 'status']);
  expect(r.reply.execution_count).toBe(0);
  expect(history.tail(10, false)).toEqual([]);
  expect((await execute('value 1')).reply.execution_count).toBe(1);
});

test('store_history false runs under the current count without storing', async () => {
  const { execute, history } = setup();
  await execute('value 1');
  const r = await execute('value 2', { store_history: false });
  expect(r.reply.execution_count).toBe(1);
  expect(history.tail(10, false).map((row) => row[2])).toEqual(['value 1']);
});

test('user_expressions are evaluated after the cell, errors reported in place', async () => {
  const { execute } = setup();
  const r = await execute('', { user_expressions: { x: 'x', y: 'bad', z: 7 } });
  expect(r.reply.user_expressions).toEqual({
    x: { status: 'ok', data: { 'text/plain': '<x>' }, metadata: {} },
    y: { status: 'error', ename: 'ReferenceError', evalue: 'bad', traceback: [] }
  });
});

test('a silent request can still read stdin', async () => {
  const { transport } = setup();
  const req = transport.request('execute_request', {
    code: 'ask',
    silent: true,
    allow_stdin: true
  });
  const asked = await transport.next((s) => s.channel === 'stdin');
  transport.request(
    'input_reply',
    { value: 'yes' },
    { channel: 'stdin', parent: asked.msg.header }
  );
  expect((await transport.reply(req)).content.status).toBe('ok');
});

test('a value JSON cannot hold fails the cell with an error the user sees, under its count', async () => {
  const { execute } = setup();
  const { reply, iopub } = await execute('cycle');
  expect(reply).toMatchObject({ status: 'error', execution_count: 1, ename: 'TypeError' });
  expect(String(reply.evalue)).toMatch(/the cell's value could not be sent: .*circular/);
  expect(types(iopub)).toEqual(['status', 'execute_input', 'error', 'status']);
  expect(iopub[2].content.evalue).toBe(reply.evalue);
  // The next cell runs: a failed value aborts nothing beyond the queue.
  expect((await execute('value 2')).reply).toMatchObject({ status: 'ok', execution_count: 2 });
});

test('a user expression JSON cannot hold is an error in place; the others and the reply go out', async () => {
  const { execute } = setup();
  const { reply } = await execute('print x', { user_expressions: { a: 'cycle', b: 'two' } });
  expect(reply.status).toBe('ok');
  const exprs = reply.user_expressions as Record<string, Record<string, unknown>>;
  expect(exprs.a).toMatchObject({ status: 'error', ename: 'TypeError' });
  expect(String(exprs.a.evalue)).toMatch(/the value of user expression a could not be sent/);
  expect(exprs.b).toEqual({ status: 'ok', data: { 'text/plain': '<two>' }, metadata: {} });
});
