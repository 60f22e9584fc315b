import { KernelClient } from '../kernel/client/client';
import { endpoint } from '../kernel/wire/connection';
import { connectStalledSubscriber } from '../kernel/wire/sockets';
import { launchWarren, text } from './harness';

const welcomes = (k: KernelClient) =>
  k.iopubLog.filter((m) => m.header.msg_type === 'iopub_welcome');

async function until(check: () => boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('iopub is an XPUB (JEP 65)', () => {
  test('each new subscriber gets iopub_welcome with its subscription', async () => {
    const k = await launchWarren();
    try {
      // The kernel welcomes a subscriber once it reads the subscription, which
      // ZeroMQ may hand it after a message already published to it (a CI run
      // saw the client ready first): a client waits for it (JEP 65).
      await until(() => welcomes(k).length >= 1);
      expect(welcomes(k)[0].content).toEqual({ subscription: '' });
      const before = welcomes(k).length;
      // A second subscriber to the same topic: XPUB passes on the duplicate
      // subscription only with xpub_verbose, so this fails on a plain XPUB too.
      const second = await KernelClient.attach(k.info);
      try {
        await until(() => welcomes(second).length >= 1);
        expect(welcomes(second)[0].content).toEqual({ subscription: '' });
        await until(() => welcomes(k).length > before);
      } finally {
        second.close();
      }
    } finally {
      await k.shutdown();
    }
  });
});

describe('a stalled iopub subscriber', () => {
  test('costs the other subscribers no output and no idle; the flood is paused, not dropped', async () => {
    const k = await launchWarren();
    const stalled = connectStalledSubscriber(endpoint(k.info, 'iopub'));
    try {
      // The kernel welcomes the stalled subscriber too: then it is subscribed.
      await until(() => welcomes(k).length >= 2);
      // 40 MB on stdout between 20,000 lines on stderr: each change of stream
      // is a message of its own, so 40,000 messages, far past the high-water
      // mark of the stalled subscriber's queue (1,000 messages).
      const { reply, iopub } = await k.execute(
        'const row = "y".repeat(1995); for (let i = 0; i < 20_000; i++) { console.log(String(i).padStart(5, "0") + row); console.error(i) }',
        {},
        90000
      );
      expect(reply.content.status).toBe('ok');
      expect(iopub[iopub.length - 1].content.execution_state).toBe('idle');
      const lines = text(iopub).split('\n');
      expect(lines.pop()).toBe('');
      expect(lines.length).toBe(20_000);
      expect(
        lines.every((l, i) => l.length === 2000 && l.startsWith(String(i).padStart(5, '0')))
      ).toBe(true);
      expect(text(iopub, 'stderr')).toBe(
        Array.from({ length: 20_000 }, (_, i) => `${i}\n`).join('')
      );
      // The next cells are unaffected, and the kernel holds no backlog for the stalled one.
      const after = await k.execute('console.log("after")');
      expect(text(after.iopub)).toBe('after\n');
      const usage = await k.call('control', 'usage_request', {});
      expect(usage.reply.content.kernel_memory as number).toBeLessThan(1024 * 1024 * 1024);
    } finally {
      stalled.close();
      await k.shutdown();
    }
  }, 120000);

  test('a ! (pty) flood reaches the other subscriber whole, then idle', async () => {
    const k = await launchWarren();
    const stalled = connectStalledSubscriber(endpoint(k.info, 'iopub'));
    try {
      await until(() => welcomes(k).length >= 2);
      // 120 MB of base64 through the pseudo-terminal (lines of 76 'A's, the last of
      // 28): the pty is read in chunks of up to 64 kB, so this is past the stalled
      // subscriber's high-water mark of 1,000 messages (30 MB would not be).
      const { reply, iopub } = await k.execute('!head -c 90000000 /dev/zero | base64', {}, 110000);
      expect(reply.content.status).toBe('ok');
      expect(iopub[iopub.length - 1].content.execution_state).toBe('idle');
      expect(iopub.filter((m) => m.header.msg_type === 'stream').length).toBeGreaterThan(1000);
      const lines = text(iopub).replace(/\r\n/g, '\n').split('\n');
      expect(lines.pop()).toBe('');
      expect(lines.length).toBe(1_578_948);
      const full = 'A'.repeat(76);
      expect(lines.slice(0, -1).every((l) => l === full)).toBe(true);
      expect(lines[lines.length - 1]).toBe('A'.repeat(28));
      const after = await k.execute('console.log("after")');
      expect(text(after.iopub)).toBe('after\n');
    } finally {
      stalled.close();
      await k.shutdown();
    }
  }, 150000);
});
