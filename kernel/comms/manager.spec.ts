import type { JSONObject } from '../../src/contract';
import type { Comm, CommTarget } from './comm';
import type { CommSend } from './manager';
import { CommManager } from './manager';

type Out = { via: string; type: string; content: JSONObject; buffers?: Uint8Array[] };

/** Senders named after the request they stand for, all writing to one list. */
function senders() {
  const out: Out[] = [];
  const sender =
    (via: string): CommSend =>
    (type, content, buffers) =>
      out.push({ via, type, content, ...(buffers ? { buffers } : {}) });
  return { out, sender };
}

/** A target that keeps the comms opened to it and what they received. */
function echoTarget(name = 'echo') {
  const comms: Comm[] = [];
  const received: JSONObject[] = [];
  const closed: JSONObject[] = [];
  const target: CommTarget = {
    name,
    open(comm, data) {
      comms.push(comm);
      comm.onMessage((d) => {
        received.push(d);
        comm.send({ echo: d });
      });
      comm.onClose((d) => closed.push(d));
      comm.send({ opened: data });
    }
  };
  return { target, comms, received, closed };
}

test('an open to an unknown target is answered with comm_close through the request sender', () => {
  const manager = new CommManager();
  const { out, sender } = senders();
  manager.open('c1', 'nobody', {}, sender('open'));
  expect(out).toEqual([
    {
      via: 'open',
      type: 'comm_close',
      content: { comm_id: 'c1', data: { error: 'no comm target named nobody' } }
    }
  ]);
  expect(manager.info()).toEqual({});
});

test('a comm answers under the request that reached it', () => {
  const manager = new CommManager();
  const { target } = echoTarget();
  manager.register(target);
  const { out, sender } = senders();
  manager.open('c1', 'echo', { a: 1 }, sender('open'));
  expect(manager.message('c1', { b: 2 }, [], sender('msg'))).toBe(true);
  expect(out).toEqual([
    { via: 'open', type: 'comm_msg', content: { comm_id: 'c1', data: { opened: { a: 1 } } } },
    { via: 'msg', type: 'comm_msg', content: { comm_id: 'c1', data: { echo: { b: 2 } } } }
  ]);
});

test('what a comm sends later goes out under its own latest request, not another comm’s', () => {
  const manager = new CommManager();
  const { target, comms } = echoTarget();
  manager.register(target);
  const { out, sender } = senders();
  manager.open('c1', 'echo', {}, sender('open c1'));
  manager.open('c2', 'echo', {}, sender('open c2'));
  manager.message('c1', {}, [], sender('msg c1'));
  out.length = 0;
  comms[0].send({ tick: 1 }, [new Uint8Array([1, 2])]);
  comms[1].send({ tick: 2 });
  expect(out).toEqual([
    {
      via: 'msg c1',
      type: 'comm_msg',
      content: { comm_id: 'c1', data: { tick: 1 } },
      buffers: [new Uint8Array([1, 2])]
    },
    { via: 'open c2', type: 'comm_msg', content: { comm_id: 'c2', data: { tick: 2 } } }
  ]);
});

test('a message to a comm that is not open is not delivered', () => {
  const manager = new CommManager();
  const { out, sender } = senders();
  expect(manager.message('ghost', {}, [], sender('msg'))).toBe(false);
  expect(out).toEqual([]);
});

test('a target that throws on open gets its comm closed with the error', () => {
  const manager = new CommManager();
  manager.register({
    name: 'broken',
    open() {
      throw new Error('cannot');
    }
  });
  const { out, sender } = senders();
  manager.open('c1', 'broken', {}, sender('open'));
  expect(out).toEqual([
    {
      via: 'open',
      type: 'comm_close',
      content: { comm_id: 'c1', data: { error: 'Error: cannot' } }
    }
  ]);
  expect(manager.info()).toEqual({});
});

test('a close from the frontend runs the close handlers once and forgets the comm', () => {
  const manager = new CommManager();
  const { target, comms, closed } = echoTarget();
  manager.register(target);
  const { out, sender } = senders();
  manager.open('c1', 'echo', {}, sender('open'));
  out.length = 0;
  manager.close('c1', { bye: true });
  manager.close('c1', { again: true });
  expect(closed).toEqual([{ bye: true }]);
  expect(manager.info()).toEqual({});
  // A closed comm sends nothing, not even its own comm_close.
  comms[0].send({ late: true });
  comms[0].close();
  expect(out).toEqual([]);
});

test('a close from the kernel side sends comm_close once', () => {
  const manager = new CommManager();
  const { target, comms, closed } = echoTarget();
  manager.register(target);
  const { out, sender } = senders();
  manager.open('c1', 'echo', {}, sender('open'));
  out.length = 0;
  comms[0].close({ done: 1 });
  comms[0].close({ done: 2 });
  expect(out).toEqual([
    { via: 'open', type: 'comm_close', content: { comm_id: 'c1', data: { done: 1 } } }
  ]);
  expect(closed).toEqual([{ done: 1 }]);
  expect(manager.targetOf('c1')).toBeUndefined();
});

test('comm_info lists the open comms, all or one target’s', () => {
  const manager = new CommManager();
  manager.register(echoTarget('a').target);
  manager.register(echoTarget('b').target);
  const { sender } = senders();
  manager.open('1', 'a', {}, sender('x'));
  manager.open('2', 'b', {}, sender('x'));
  expect(manager.info()).toEqual({ '1': { target_name: 'a' }, '2': { target_name: 'b' } });
  expect(manager.info('b')).toEqual({ '2': { target_name: 'b' } });
  expect(manager.targetOf('1')).toBe('a');
});

test('dispose closes every open comm on the kernel side, sending nothing', () => {
  const manager = new CommManager();
  const { target, closed } = echoTarget();
  manager.register(target);
  const { out, sender } = senders();
  manager.open('1', 'echo', {}, sender('x'));
  manager.open('2', 'echo', {}, sender('x'));
  out.length = 0;
  manager.dispose();
  expect(closed).toEqual([{}, {}]);
  expect(out).toEqual([]);
  expect(manager.info()).toEqual({});
});
