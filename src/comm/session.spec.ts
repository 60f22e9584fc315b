import { Signal } from '@lumino/signaling';
import type { Session } from '@jupyterlab/services';
import { WarrenServices } from './session';

// session.ts keeps its timers on `window` (the page); jest's fake timers replace these.
(globalThis as { window?: unknown }).window ??= globalThis;

afterEach(() => jest.useRealTimers());

/** A kernel connection that stays where the test puts it. */
class FakeKernel {
  readonly id = 'k1';
  readonly name = 'warren';
  status = 'starting';
  connectionStatus = 'connecting';
  readonly statusChanged = new Signal<FakeKernel, string>(this);
  readonly connectionStatusChanged = new Signal<FakeKernel, string>(this);
  readonly disposed = new Signal<FakeKernel, void>(this);
  readonly opened: string[] = [];

  connect(): void {
    this.connectionStatus = 'connected';
    this.connectionStatusChanged.emit('connected');
  }

  createComm(target: string) {
    return {
      isDisposed: false,
      onMsg: null as unknown,
      onClose: null as unknown,
      open: () => this.opened.push(target),
      send: () => undefined,
      close: () => undefined,
      dispose: () => undefined
    };
  }
}

class FakeSession {
  constructor(readonly kernel: FakeKernel) {}
  readonly kernelChanged = new Signal<FakeSession, unknown>(this);
  readonly disposed = new Signal<FakeSession, void>(this);
  dispose(): void {
    this.disposed.emit();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A session manager that finds no session and starts one whose kernel is `kernel`. */
function services(kernel: FakeKernel) {
  const sessions = {
    findByPath: () => Promise.resolve(undefined),
    connectTo: () => {
      throw new Error('no session to connect to');
    },
    startNew: () => Promise.resolve(new FakeSession(kernel))
  } as unknown as Session.IManager;
  const s = new WarrenServices({ sessions });
  const messages: (string | null)[] = [];
  s.statusChanged.connect(() => messages.push(s.message));
  return { s, messages };
}

test('a services kernel that has not answered in 20 s is said so, with where it stands, until it connects', async () => {
  jest.useFakeTimers();
  const kernel = new FakeKernel();
  const { s } = services(kernel);
  s.openChannel('warren.gpu');
  // The session is started (a resolved promise): the kernel is there, not yet connected.
  await jest.advanceTimersByTimeAsync(0);
  expect(s.status).toBe('starting');
  expect(s.message).toBeNull();
  await jest.advanceTimersByTimeAsync(WarrenServices.stallSeconds * 1000 - 1);
  expect(s.message).toBeNull();
  await jest.advanceTimersByTimeAsync(1);
  expect(s.status).toBe('starting');
  expect(s.message).toBe(
    'no answer from the services kernel after 20 s (kernel starting, connection connecting); still trying'
  );
  kernel.connect();
  expect(s.status).toBe('connected');
  expect(s.message).toBeNull();
  expect(kernel.opened).toEqual(['warren.gpu']);
  s.dispose();
});

test('a services kernel that connects in time is never called stalled', async () => {
  jest.useFakeTimers();
  const kernel = new FakeKernel();
  const { s, messages } = services(kernel);
  s.openChannel('warren.gpu');
  await jest.advanceTimersByTimeAsync(5000);
  kernel.connect();
  await jest.advanceTimersByTimeAsync(60000);
  expect(s.status).toBe('connected');
  expect(messages.filter((m) => m !== null)).toEqual([]);
  s.dispose();
});
