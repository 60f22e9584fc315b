import type { JSONObject } from '../../src/contract';
import type { Comm } from '../comms/comm';
import { CommManager } from '../comms/manager';
import { Dispatcher } from '../protocol/dispatcher';
import { MemoryTransport } from '../protocol/memory-transport';
import { MessageFactory } from '../protocol/message';
import { commCloseHandler, commInfoHandler, commMsgHandler, commOpenHandler } from './comms';

function setup() {
  const transport = new MemoryTransport();
  const comms = new CommManager();
  const opened: Comm[] = [];
  const got: { data: JSONObject; buffers: Uint8Array[] }[] = [];
  comms.register({
    name: 'echo',
    open(comm, data) {
      opened.push(comm);
      comm.onMessage((d, buffers) => {
        got.push({ data: d, buffers });
        comm.send({ echo: d }, buffers);
      });
      comm.send({ hello: data });
    }
  });
  const dispatcher = new Dispatcher(transport, new MessageFactory(), () => {});
  dispatcher.register('comm_info_request', commInfoHandler(comms));
  dispatcher.register('comm_open', commOpenHandler(comms));
  dispatcher.register('comm_msg', commMsgHandler(comms));
  dispatcher.register('comm_close', commCloseHandler(comms));
  const send = async (type: string, content: JSONObject, buffers?: Buffer[]) => {
    const req = transport.request(type, content, { buffers });
    await transport.idle(req);
    return { req, sent: transport.childrenOf(req) };
  };
  return { transport, send, opened, got };
}

test('comm_open reaches the target and its answer goes out on iopub under the open, with no reply', async () => {
  const { send } = setup();
  const { req, sent } = await send('comm_open', {
    comm_id: 'c1',
    target_name: 'echo',
    data: { a: 1 }
  });
  expect(sent.map((s) => `${s.channel}:${s.msg.header.msg_type}`)).toEqual([
    'iopub:status',
    'iopub:comm_msg',
    'iopub:status'
  ]);
  expect(sent[1].msg.content).toEqual({ comm_id: 'c1', data: { hello: { a: 1 } } });
  expect(sent[1].msg.parent_header.msg_id).toBe(req.msg_id);
});

test('comm_open to an unknown target is answered with comm_close', async () => {
  const { send } = setup();
  const { sent } = await send('comm_open', { comm_id: 'c9', target_name: 'nobody', data: {} });
  const close = sent.find((s) => s.msg.header.msg_type === 'comm_close')!;
  expect(close.channel).toBe('iopub');
  expect(close.msg.content).toEqual({
    comm_id: 'c9',
    data: { error: 'no comm target named nobody' }
  });
});

test('comm_msg delivers data and buffers; the answer carries the buffers under the msg', async () => {
  const { send, got } = setup();
  await send('comm_open', { comm_id: 'c1', target_name: 'echo', data: {} });
  const { req, sent } = await send('comm_msg', { comm_id: 'c1', data: { q: 2 } }, [
    Buffer.from([7, 8])
  ]);
  expect(got).toEqual([{ data: { q: 2 }, buffers: [Buffer.from([7, 8])] }]);
  const answer = sent.find((s) => s.msg.header.msg_type === 'comm_msg')!;
  expect(answer.msg.parent_header.msg_id).toBe(req.msg_id);
  expect(answer.msg.content).toEqual({ comm_id: 'c1', data: { echo: { q: 2 } } });
  expect(answer.msg.buffers).toEqual([Buffer.from([7, 8])]);
});

test('a comm sends later under the header of its latest request', async () => {
  const { send, opened, transport } = setup();
  await send('comm_open', { comm_id: 'c1', target_name: 'echo', data: {} });
  const { req } = await send('comm_msg', { comm_id: 'c1', data: {} });
  await send('comm_info_request', {});
  opened[0].send({ later: true });
  const later = transport.sent.at(-1)!;
  expect(later.msg.content).toEqual({ comm_id: 'c1', data: { later: true } });
  expect(later.msg.parent_header.msg_id).toBe(req.msg_id);
});

test('comm_info_request lists open comms by target; comm_close removes one', async () => {
  const { send } = setup();
  await send('comm_open', { comm_id: 'c1', target_name: 'echo', data: {} });
  await send('comm_open', { comm_id: 'c2', target_name: 'echo', data: {} });
  await send('comm_close', { comm_id: 'c1', data: {} });
  const all = await send('comm_info_request', {});
  const reply = all.sent.find((s) => s.channel === 'shell')!.msg;
  expect(reply.header.msg_type).toBe('comm_info_reply');
  expect(reply.content).toEqual({ status: 'ok', comms: { c2: { target_name: 'echo' } } });
  const none = await send('comm_info_request', { target_name: 'other' });
  expect(none.sent.find((s) => s.channel === 'shell')!.msg.content.comms).toEqual({});
});

test('comm_msg and comm_close for an unknown comm are ignored: no reply, busy then idle', async () => {
  const { send } = setup();
  for (const type of ['comm_msg', 'comm_close']) {
    const { sent } = await send(type, { comm_id: 'ghost', data: {} });
    expect(sent.map((s) => s.msg.content.execution_state)).toEqual(['busy', 'idle']);
  }
});
