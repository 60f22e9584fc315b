import { stat } from 'node:fs/promises';
import { mountAt } from '../../mountinfo';

export type Probe = { state: 'ok' } | { state: 'stale'; message: string } | { state: 'missing' };

/**
 * Whether the volume on `path` answers. A FUSE mount whose daemon died still
 * sits in mountinfo, and every access fails with ENOTCONN ("Transport endpoint
 * is not connected"); a hung network mount may not answer at all, so the stat
 * races a timer.
 */
export async function probe(path: string, timeoutMs = 3000): Promise<Probe> {
  if (!mountAt(path)) return { state: 'missing' };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Probe>((ok) => {
    timer = setTimeout(
      () => ok({ state: 'stale', message: `no answer from ${path} in ${timeoutMs} ms` }),
      timeoutMs
    );
  });
  const check = stat(path).then(
    (): Probe => ({ state: 'ok' }),
    (error: NodeJS.ErrnoException): Probe => ({
      state: 'stale',
      message:
        error.code === 'ENOTCONN'
          ? 'Transport endpoint is not connected (the FUSE daemon is gone)'
          : `${error.code ?? 'error'}: ${error.message}`
    })
  );
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
