import type { JSONObject } from '../../src/contract';
import { CommTargets } from '../../src/contract';
import type { JournalRequest } from '../../src/contract/journal';
import type { Journal, JournalLimits } from '../services/journal';
import type { Comm, CommTarget } from './comm';

const MB = 1024 * 1024;

function request(data: JSONObject): JournalRequest {
  const out: JournalRequest = {};
  if (typeof data.journal === 'string') out.journal = data.journal;
  if (typeof data.after === 'number' && Number.isFinite(data.after)) out.after = data.after;
  const limits = data.limits;
  if (limits && typeof limits === 'object' && !Array.isArray(limits)) {
    const l = limits as Record<string, unknown>;
    out.limits = {};
    if (typeof l.executionMB === 'number') out.limits.executionMB = l.executionMB;
    if (typeof l.totalMB === 'number') out.limits.totalMB = l.totalMB;
  }
  return out;
}

/** A limit from a page: a positive number of megabytes, at most 4 GB. */
function bytes(mb: number | undefined): number | undefined {
  if (mb === undefined || !(mb > 0)) return undefined;
  return Math.min(mb, 4096) * MB;
}

/**
 * `warren.journal`: each open, and each message on an open comm, is a
 * JournalRequest; the answer is one JournalReply with the executions changed
 * since. The comm is answered out of the shell queue (main.ts), so a page
 * that comes back while a cell runs is answered at once.
 */
export class JournalCommTarget implements CommTarget {
  readonly name = CommTargets.journal;

  constructor(private readonly journal: Journal) {}

  open(comm: Comm, data: JSONObject): void {
    comm.onMessage((msg) => this.answer(comm, msg));
    this.answer(comm, data);
  }

  private answer(comm: Comm, data: JSONObject): void {
    const r = request(data);
    if (r.limits) {
      const limits: Partial<JournalLimits> = {};
      const execution = bytes(r.limits.executionMB);
      const total = bytes(r.limits.totalMB);
      if (execution !== undefined) limits.executionBytes = execution;
      if (total !== undefined) limits.totalBytes = total;
      this.journal.setLimits(limits);
    }
    comm.send(this.journal.since(r.journal, r.after) as unknown as JSONObject);
  }
}
