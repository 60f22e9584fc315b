import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '../../../src/contract/runs';
import { jupyterDataDir } from '../../paths';
import type { RunRecord } from './types';

/**
 * Run records on this machine, one JSON file each, rewritten atomically. A
 * record exists before anything is submitted and holds the job id as soon as
 * sbatch prints it, so a poller that lost its connection resumes the same job.
 */
export class RunStore {
  readonly dir: string;

  constructor(dir = join(jupyterDataDir(), 'warren', 'runs')) {
    this.dir = dir;
  }

  save(record: RunRecord): void {
    mkdirSync(this.dir, { recursive: true });
    record.updated = new Date().toISOString();
    const file = join(this.dir, `${record.id}.json`);
    // One temporary name per process: two pollers of one record must not rename each other's file.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(record, null, 1));
    renameSync(tmp, file);
  }

  load(id: string): RunRecord {
    // Ids come from the Runs panel and the command line: a path is not an id.
    if (typeof id !== 'string' || !/^[A-Za-z0-9][\w.-]*$/.test(id))
      throw new Error(`no run ${String(id)}: not a run id`);
    const file = join(this.dir, `${id}.json`);
    if (!existsSync(file)) throw new Error(`no run ${id} in ${this.dir}`);
    return JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
  }

  /**
   * Whether the stored record asks for a cancel: read before a holder of an
   * older copy saves over it, so that a cancel saved meanwhile is kept.
   */
  cancelAsked(id: string): boolean {
    try {
      return this.load(id).cancelRequested === true;
    } catch {
      return false;
    }
  }

  /** Forgets a run: its record goes (nothing on the cluster is touched). */
  remove(id: string): void {
    this.load(id);
    rmSync(join(this.dir, `${id}.json`), { force: true });
  }

  list(): RunRecord[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => {
        try {
          return JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as RunRecord;
        } catch {
          return null;
        }
      })
      .filter((r): r is RunRecord => r !== null)
      .sort((a, b) => a.submitted.localeCompare(b.submitted));
  }
}

export function summary(r: RunRecord): RunSummary {
  return {
    id: r.id,
    kind: r.kind,
    profile: r.profile.name,
    notebook: r.source,
    jobId: r.jobId,
    state: r.state,
    message: r.message,
    submitted: r.submitted,
    updated: r.updated,
    ended: r.ended ?? null,
    result: r.result,
    total: r.kind === 'map' ? (r.count ?? null) : null,
    done: null,
    failed: null
  };
}
