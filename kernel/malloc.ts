/**
 * glibc's malloc serves a block of 128 KB or more with mmap and unmaps it when
 * freed, but each such free raises that threshold to the freed block's size
 * (up to 32 MB). After a flood of 1 MB messages the next ones come from the
 * arenas instead, and stay resident once freed: a kernel was 219 MB ten
 * seconds after a 120 MB flood, against 70 MB with the threshold fixed.
 * A threshold set in the environment turns that raising off.
 */
const THRESHOLD = 'MALLOC_MMAP_THRESHOLD_';
/** Says the threshold is ours, not the user's: the user's commands do not inherit it. */
const OURS = 'WARREN_MMAP_THRESHOLD';

/** `env` for a warren process of its own (kernel, compiler): a fixed threshold, unless the user set one. */
export function withFixedMmapThreshold(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env[THRESHOLD] !== undefined) return env;
  return { ...env, [THRESHOLD]: String(128 * 1024), [OURS]: '1' };
}

/** In a process started so (malloc has read it): the environment its children get is the user's again. */
export function forgetFixedMmapThreshold(env: NodeJS.ProcessEnv = process.env): void {
  if (env[OURS] !== '1') return;
  delete env[THRESHOLD];
  delete env[OURS];
}
