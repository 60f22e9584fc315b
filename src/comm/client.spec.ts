import { CommClient } from './client';
import { FakeServices } from './fake-services';

afterEach(() => jest.useRealTimers());

function client(options: Partial<CommClient.IOptions> = {}) {
  const services = new FakeServices();
  const c = new CommClient({ services, target: 'warren.test', ...options });
  const undelivered: string[] = [];
  c.undelivered.connect((_, u) => undelivered.push(`${String(u.request.type)}: ${u.reason}`));
  return { services, c, undelivered };
}

test('a request made while the services kernel is away is queued, said so, and sent in order when the comm opens', () => {
  const { services, c } = client();
  c.send({ type: 'a' });
  c.send({ type: 'b' });
  // The first request opened the comm; the kernel is not there yet.
  const channel = services.channel('warren.test');
  expect(channel.sent).toEqual([]);
  expect(c.queued).toBe(2);
  expect(c.message).toBe('waiting for the warren services kernel… (2 requests queued)');
  services.away('dead', 'the services kernel died');
  expect(c.message).toBe(
    'waiting for the warren services kernel… (2 requests queued): the services kernel died'
  );
  services.up();
  expect(channel.sent).toEqual([{ type: 'a' }, { type: 'b' }]);
  expect(c.queued).toBe(0);
  expect(c.message).toBeNull();
  // Connected: a request goes at once.
  c.send({ type: 'c' });
  expect(channel.sent.map((m) => m.type)).toEqual(['a', 'b', 'c']);
});

test('the comm reopens after a restart with the settings of now, not those of its first open', async () => {
  const services = new FakeServices();
  let interval = 1000;
  const c = new CommClient({
    services,
    target: 'warren.test',
    openData: () => ({ intervalMs: interval })
  });
  services.up();
  c.connect();
  const channel = services.channel('warren.test');
  interval = 5000;
  await services.restart();
  expect(channel.opens).toEqual([{ intervalMs: 1000 }, { intervalMs: 5000 }]);
});

test('requests queued while away reach a kernel that restarted, after the reopen', async () => {
  const { services, c } = client();
  services.up();
  c.connect();
  const channel = services.channel('warren.test');
  let opens = 0;
  c.opened.connect(() => opens++);
  services.away('restarting', 'the services kernel is restarting');
  c.send({ type: 'cancel', id: 'r1' });
  expect(channel.sent).toEqual([]);
  expect(c.message).toMatch(/^waiting for the warren services kernel… \(1 request queued\)/);
  services.up();
  expect(channel.sent).toEqual([{ type: 'cancel', id: 'r1' }]);
  expect(opens).toBe(1);
});

test('a request that cannot be delivered in time is given up and says why', () => {
  jest.useFakeTimers();
  const { services, c, undelivered } = client({ deliverWithinMs: 10000 });
  services.away('dead', 'the services kernel could not start: 500');
  c.send({ type: 'submit' });
  jest.advanceTimersByTime(5000);
  c.send({ type: 'cancel' });
  jest.advanceTimersByTime(5000);
  expect(undelivered).toEqual([
    'submit: not sent: the warren services kernel was not reachable for 10 s ' +
      '(the services kernel could not start: 500)'
  ]);
  expect(c.queued).toBe(1);
  jest.advanceTimersByTime(5000);
  expect(undelivered).toHaveLength(2);
  expect(c.queued).toBe(0);
  // Given up means not sent later either.
  services.up();
  expect(services.channel('warren.test').sent).toEqual([]);
});

test('the queue is bounded: past its size the oldest request is given up', () => {
  const { c, undelivered } = client({ maxQueued: 2 });
  c.send({ type: 'a' });
  c.send({ type: 'b' });
  c.send({ type: 'c' });
  expect(c.queued).toBe(2);
  expect(undelivered).toEqual([
    'a: not sent: more than 2 requests waited for the warren services kernel'
  ]);
});

test('a queued request is replaced by a later one with the same key', () => {
  const { services, c } = client();
  c.send({ type: 'tail', id: 'r1' }, { key: 'tail:r1' });
  c.send({ type: 'cancel', id: 'r1' });
  c.send({ type: 'tail', id: 'r1', n: 2 }, { key: 'tail:r1' });
  services.up();
  expect(services.channel('warren.test').sent).toEqual([
    { type: 'cancel', id: 'r1' },
    { type: 'tail', id: 'r1', n: 2 }
  ]);
});

test('messages from the kernel come through; after dispose nothing is sent and the comm is closed', () => {
  const { services, c } = client();
  const got: unknown[] = [];
  c.received.connect((_, m) => got.push(m));
  services.up();
  c.connect();
  const channel = services.channel('warren.test');
  channel.receive({ type: 'hello' });
  expect(got).toEqual([{ type: 'hello' }]);
  c.dispose();
  c.dispose();
  expect(channel.isDisposed).toBe(true);
  c.send({ type: 'late' });
  expect(channel.sent).toEqual([]);
});
