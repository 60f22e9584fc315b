import type { OutputSink } from '../engine';
import { ShellEngine } from './shell';

/** A sink whose outbox is always full: each call to room() waits 30 ms, as a slow client makes it. */
function slowSink(): OutputSink & { chars: number } {
  const sink = {
    chars: 0,
    stream: (_name: 'stdout' | 'stderr', text: string) => void (sink.chars += text.length),
    display: () => undefined,
    clear: () => undefined,
    page: () => undefined,
    input: () => Promise.resolve(''),
    room: () => new Promise<void>((resolve) => setTimeout(resolve, 30))
  };
  return sink;
}

test('a command that ends while its output waits for the outbox loses none of it', async () => {
  // The terminal used to be let go as soon as the command was gone, while
  // reading was paused: what was still queued in it was lost (4 runs in 5).
  for (let run = 0; run < 3; run++) {
    const sink = slowSink();
    const r = await new ShellEngine().run(`head -c 300000 /dev/zero | tr '\\0' a`, sink, 'sh');
    expect(r.exitCode).toBe(0);
    expect(sink.chars).toBe(300_000);
  }
}, 60000);
