import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoTransport } from './transport';

// The io thread's exit ends the kernel: here it ends only the thread.
jest.mock('../exit', () => ({ exitKernel: jest.fn() }));

/**
 * An io thread entry that keeps its young generation busy (objects that
 * survive a scavenge or two, as V8 grows it for) and then tells, through the
 * transport's log, how large V8 let it grow.
 */
const CHURN = `
const { parentPort } = require('node:worker_threads');
const { getHeapSpaceStatistics } = require('node:v8');
let kept = [];
for (let i = 0; i < 2e6; i++) {
  kept.push({ i, text: 'frame ' + i });
  if (kept.length > 50000) kept = [];
}
const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
// Said closed first: the transport then takes the thread's end as the kernel's own.
parentPort.postMessage({ op: 'closed' });
parentPort.postMessage({ op: 'log', text: 'new space ' + young.space_size });
`;

describe('IoTransport', () => {
  test("keeps its thread's young generation small however busy the thread has been", async () => {
    const entry = join(mkdtempSync(join(tmpdir(), 'warren-io-')), 'churn.js');
    writeFileSync(entry, CHURN);
    const logged = new Promise<string>((resolve) => {
      const write = jest.spyOn(process.stderr, 'write').mockImplementation((text) => {
        if (String(text).includes('new space')) {
          write.mockRestore();
          resolve(String(text));
        }
        return true;
      });
    });
    new IoTransport({
      entry,
      connection: {} as IoTransport.IOptions['connection'],
      session: 'spec',
      kernelInfo: {}
    });
    const bytes = Number(/new space (\d+)/.exec(await logged)![1]);
    // Its two 1 MB semi-spaces; V8's own limit lets them reach 16 MB each.
    expect(bytes).toBeLessThanOrEqual(2 * 1024 * 1024);
  });
});
