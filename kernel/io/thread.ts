/**
 * The io thread's composition root. It owns the sockets, the heartbeat and
 * the control loop, so none of them waits on a user's cell. Shell and stdin
 * messages go on to the main thread.
 */
import { Socket } from 'node:net';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import type { JSONObject } from '../../src/contract';
import type { ToIo, ToMain, SendChannel } from './bridge';
import { LOW_WATER, PENDING, USER_CODE, WANT_DRAIN } from './bridge';
import type { RawMessage } from '../protocol/transport';
import { decode, encode } from '../wire/codec';
import type { ConnectionInfo } from '../wire/connection';
import { Outbox } from '../wire/outbox';
import { ReplayGuard } from '../wire/replay';
import { Signer } from '../wire/signer';
import { bindSockets, receiveEach } from '../wire/sockets';
import { answerAfterlife, SIGINT_FD, SupervisorNotes, takeAfterlife } from './afterlife';
import { Interrupter } from './interrupter';
import { ControlLoop } from '../protocol/control';
import { fullCollection } from '../gc';
import { IdleCollection } from '../services/idle-collection';
import { MessageFactory } from '../protocol/message';
import { KernelGpuUsage } from '../services/gpu/usage';
import { UsageSampler } from '../services/usage';

/** How long iopub holds its messages for a first subscriber. */
const IOPUB_HOLD_MS = 10_000;

/**
 * Each message sent leaves its frames behind as Buffers, outside this
 * thread's small heap: V8 counts them, but collects only once they pass a
 * limit, so a flood left 4-103 MB of them after it ended (eight runs here;
 * 166 MB in CI), for good. Once iopub is quiet this long, and they are more
 * than IO_GARBAGE_BYTES, a collection frees them (this heap is small: a few
 * milliseconds).
 */
const IO_QUIET_MS = [2000];
const IO_GARBAGE_BYTES = 16 * 1024 * 1024;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface IoData {
  connection: ConnectionInfo;
  session: string;
  kernelInfo: JSONObject;
  shared: SharedArrayBuffer;
}

async function main(): Promise<void> {
  // Taken first, while main (which took its own before starting this thread)
  // makes no context a gc could leak into (gc.ts).
  // No malloc trim here: it would hold a running cell's mallocs (gc.ts).
  const collect = fullCollection(Infinity, false);
  const port = parentPort!;
  const data = workerData as IoData;
  const counters = new Int32Array(data.shared);
  const post = (m: ToMain) => port.postMessage(m);
  const log = (text: string) => process.stderr.write(`[warren] ${text}\n`);
  const signer = new Signer(data.connection.key, data.connection.signature_scheme);
  // One history for every channel, as jupyter_client's Session keeps.
  const replays = new ReplayGuard();
  const afterlife = takeAfterlife();
  const sockets = await bindSockets(data.connection, { watchShell: afterlife !== null });
  const onError = (error: unknown) => log(`send failed: ${String(error)}`);
  // Main counted each iopub message's bytes into PENDING; give them back once sent.
  const onSent = (bytes: number) => {
    const left = Atomics.sub(counters, PENDING, bytes) - bytes;
    Atomics.notify(counters, PENDING);
    if (left < LOW_WATER && Atomics.compareExchange(counters, WANT_DRAIN, 1, 0) === 1) {
      post({ op: 'drain' });
    }
  };
  // A PUB socket drops what it sends while nobody subscribes, and a client's
  // SUB may join after its DEALER has had a reply (ZeroMQ retries a refused
  // connect after 100-200 ms, at random per socket): jupyter console's first
  // cell then went to nobody, idle included, and the console waited for ever.
  // So iopub holds what it has until the first subscription; a kernel that
  // no client subscribes to lets go after IOPUB_HOLD_MS, or on shutdown.
  let subscribed: () => void = () => {};
  const firstSubscriber = new Promise<void>((resolve) => (subscribed = resolve));
  let openIopub: () => void = () => {};
  let iopubOpen = false;
  const opened = new Promise<void>((resolve) => (openIopub = resolve)).then(() => {
    iopubOpen = true;
  });
  void firstSubscriber.then(openIopub);
  setTimeout(openIopub, IOPUB_HOLD_MS).unref();
  const quiet = collect
    ? new IdleCollection(() => {
        if (getHeapStatistics().external_memory > IO_GARBAGE_BYTES) collect();
      }, IO_QUIET_MS)
    : null;
  const toIopub = (f: Buffer[]) =>
    iopubOpen ? sockets.iopub.send(f) : opened.then(() => sockets.iopub.send(f));
  const publish = quiet ? quiet.around(toIopub) : toIopub;
  const outboxes: Record<SendChannel, Outbox> = {
    shell: new Outbox((f) => sockets.shell.send(f), { onError }),
    control: new Outbox((f) => sockets.control.send(f), { onError }),
    stdin: new Outbox((f) => sockets.stdin.send(f), { onError }),
    iopub: new Outbox(publish, { onError, onSent })
  };
  const notes = new SupervisorNotes();
  const send = (channel: SendChannel, raw: RawMessage, weight?: number) => {
    if (channel === 'shell') notes.replied(raw);
    outboxes[channel].push(encode(raw, signer), weight);
  };

  const pongs = new Map<number, () => void>();
  let pings = 0;
  const interrupter = new Interrupter({
    ping: (timeoutMs, interrupt) =>
      new Promise<boolean>((resolve) => {
        const id = ++pings;
        const timer = setTimeout(() => {
          pongs.delete(id);
          resolve(false);
        }, timeoutMs);
        pongs.set(id, () => {
          clearTimeout(timer);
          resolve(true);
        });
        post({ op: 'ping', id, interrupt });
      }),
    userCodeRun: () => Atomics.load(counters, USER_CODE),
    log
  });
  const factory = new MessageFactory(data.session);
  // JEP 65: each new subscriber learns its subscription is live. XPUB cannot
  // address one subscriber, so every subscriber to the topic gets it; clients
  // ignore a welcome they did not wait for.
  sockets.onSubscribe((topic) => {
    send('iopub', factory.raw('iopub_welcome', { subscription: topic }, undefined, [], {}), 0);
    subscribed();
  });
  let released: (() => void) | undefined;
  /** Closes the sockets here, in their own thread, then ends it; main ends the process on 'closed'. */
  const end = () => {
    sockets.close();
    post({ op: 'closed' });
    // Ending this thread first lets zeromq tear its context down here; a
    // process.exit from main with live sockets aborts in the addon.
    setTimeout(() => process.exit(0), 10);
  };
  /** Main releases what it holds, then the sockets close; a stuck main is interrupted, then ended. */
  async function shutdown(restart: boolean): Promise<void> {
    openIopub();
    await Promise.all(Object.values(outboxes).map((o) => o.drained()));
    const done = new Promise<void>((resolve) => (released = resolve));
    // The supervisor is not to start another kernel, however this one ends.
    notes.stopping();
    post({ op: 'shutdown', restart });
    // A main thread stuck in a busy loop (or a microtask chain, or a
    // synchronous child) is interrupted, then ended.
    const nudge = setTimeout(() => void interrupter.interrupt(), 1000);
    const force = setTimeout(() => process.kill(process.pid, 'SIGKILL'), 3000);
    await done;
    clearTimeout(nudge);
    clearTimeout(force);
    end();
  }
  const control = new ControlLoop({
    factory,
    send: (channel, raw) => send(channel, raw, 0),
    kernelInfo: data.kernelInfo,
    // Main's interrupt handler when its loop turns; a main thread that does
    // not get back to its loop is dealt with from here.
    interrupt: () => interrupter.interrupt(),
    usage: (() => {
      const gpu = new KernelGpuUsage(process.pid);
      const sampler = new UsageSampler(() => gpu.sample());
      // The pid a frontend knows is the one it launched: the supervisor's.
      const launched = Number(process.env.WARREN_SUPERVISOR_PID) || process.pid;
      return async () => ({ ...(await sampler.sample()), pid: launched });
    })(),
    shutdown,
    log
  });
  // Under a supervisor (native/supervisor.c): should it be killed, this kernel ends
  // as after a shutdown rather than hold the ports on its own. Watched from
  // here: the main thread may be stuck.
  const supervisor = Number(process.env.WARREN_SUPERVISOR_PID);
  if (supervisor) {
    const watch = setInterval(() => {
      if (process.ppid === supervisor) return;
      clearInterval(watch);
      log('the supervisor is gone; shutting down');
      void shutdown(false);
    }, 1000);
    watch.unref();
    // SIGINT (jupyter_client's signal mode), passed on by the supervisor as
    // a byte on fd 4: interrupted as an interrupt_request is.
    const interrupts = new Socket({ fd: SIGINT_FD, readable: true, writable: false });
    interrupts.on('data', () => void interrupter.interrupt());
    interrupts.on('error', () => undefined);
    interrupts.unref();
  }

  port.on('message', (m: ToIo) => {
    if (m.op === 'send') {
      // Control-thread messages on iopub (status) carry no weight: main never counted them.
      send(m.channel, m.raw, m.channel === 'iopub' ? m.bytes : undefined);
    } else if (m.op === 'pong') {
      pongs.get(m.id)?.();
      pongs.delete(m.id);
    } else if (m.op === 'released') {
      released?.();
    } else if (m.op === 'unanswered') {
      notes.answered(m.msgId);
    } else if (m.op === 'stop') {
      openIopub();
      void Promise.all(Object.values(outboxes).map((o) => o.drained())).then(end);
    }
  });

  const receive = (channel: 'shell' | 'control' | 'stdin') =>
    receiveEach(sockets[channel], async (frames) => {
      const decoded = decode(frames, signer, replays);
      if (!decoded.ok) {
        // Unsigned or forged messages are dropped unanswered: answering would
        // let anyone who can reach the port probe the kernel.
        log(`${channel}: dropped a message: ${decoded.reason}`);
        return;
      }
      if (channel === 'control') {
        await control.handle(decoded.message);
      } else {
        if (channel === 'shell') notes.received(decoded.message);
        post({ op: 'message', channel, raw: decoded.message });
      }
    });
  void receive('shell');
  void receive('control');
  void receive('stdin');
  post({ op: 'ready' });
  if (afterlife) {
    // The frontends' sockets reconnect to this kernel on their own; what is
    // published before a SUB has, or sent before a DEALER has, is lost.
    const waited = (p: Promise<void>) => Promise.race([p, sleep(3000)]);
    await Promise.all([waited(firstSubscriber), waited(sockets.shellPeer)]);
    await sleep(50);
    log(
      `the kernel before this one died; answering the ${afterlife.pending.length} request(s) it left`
    );
    answerAfterlife(afterlife, factory, (channel, raw) => send(channel, raw, 0));
  }
}

main().catch((error) => {
  process.stderr.write(`[warren] io thread failed: ${String(error)}\n`);
  process.exit(1);
});
