import { spawnSync } from 'node:child_process';
import { TierUp, TURBOFAN_AFTER_MS, turbofanAfterMs } from './tier-up';

describe('TurboFan held back until the compiler has worked a while', () => {
  test('comes on once, when the work counted reaches the threshold', () => {
    let lets = 0;
    const tier = new TierUp(10, () => lets++);
    expect(tier.add(4)).toBe(false);
    expect(tier.add(5.9)).toBe(false);
    expect(lets).toBe(0);
    expect(tier.add(0.2)).toBe(true);
    expect(lets).toBe(1);
    expect(tier.worked).toBeCloseTo(10.1);
    expect(tier.add(100)).toBe(false);
    expect(lets).toBe(1);
  });

  test('WARREN_COMPILER_TURBOFAN_AFTER_MS sets the threshold; what is no count of milliseconds leaves the default', () => {
    expect(turbofanAfterMs({})).toBe(TURBOFAN_AFTER_MS);
    expect(turbofanAfterMs({ WARREN_COMPILER_TURBOFAN_AFTER_MS: '0' })).toBe(0);
    expect(turbofanAfterMs({ WARREN_COMPILER_TURBOFAN_AFTER_MS: '250' })).toBe(250);
    expect(turbofanAfterMs({ WARREN_COMPILER_TURBOFAN_AFTER_MS: 'soon' })).toBe(TURBOFAN_AFTER_MS);
    expect(turbofanAfterMs({ WARREN_COMPILER_TURBOFAN_AFTER_MS: '-1' })).toBe(TURBOFAN_AFTER_MS);
    expect(turbofanAfterMs({ WARREN_COMPILER_TURBOFAN_AFTER_MS: '' })).toBe(TURBOFAN_AFTER_MS);
  });

  test("this Node, started --no-turbofan as the compiler is, optimizes a hot function once V8's flag is set while it runs, and not before", () => {
    // %GetOptimizationStatus's bit 4: the function runs optimized code.
    const script = `
      const { setFlagsFromString } = require('node:v8');
      function hot(n) { let s = 0; for (let i = 0; i < n; i++) s += (i * 7) % 13; return s; }
      for (let k = 0; k < 3000; k++) hot(1000);
      const before = %GetOptimizationStatus(hot);
      setFlagsFromString('--turbofan');
      for (let k = 0; k < 3000; k++) hot(1000);
      console.log(JSON.stringify({ before, after: %GetOptimizationStatus(hot) }));
    `;
    const run = spawnSync(
      process.execPath,
      ['--no-turbofan', '--allow-natives-syntax', '-e', script],
      { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }
    );
    expect(run.stderr).toBe('');
    const { before, after } = JSON.parse(run.stdout) as { before: number; after: number };
    expect(before & 16).toBe(0);
    expect(after & 16).toBe(16);
  });
});
