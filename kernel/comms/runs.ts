import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { JSONObject } from '../../src/contract';
import { CommTargets } from '../../src/contract';
import type { RunSummary, RunsMessage } from '../../src/contract/runs';
import { isRunsRequest, runsRequestProblem } from '../../src/contract/runs';
import type { RunManager } from '../services/cluster/manager';
import { isFinal } from '../services/cluster/manager';
import { MapRunner } from '../services/cluster/map';
import type { MapProgress } from '../services/cluster/map';
import { summary } from '../services/cluster/store';
import type { RunRecord } from '../services/cluster/types';
import type { Comm, CommTarget } from './comm';
import { LiveLogs } from './runs-logs';
import type { LiveSource } from './runs-logs';

export interface RunsCommOptions {
  /** How often the record folder is read for runs started elsewhere (`warren map`, `%map`, the CLI). */
  rescanMs?: number;
  /** Builds the map runner (a test passes one with its own sites). */
  maps?: (manager: RunManager) => MapRunner;
  /** How often a followed run's live log is read for what is new. */
  followMs?: number;
}

/**
 * `warren.runs`: the Runs panel's view of run records, notebook runs and maps
 * alike. Paths from the Lab are relative to the server root, which is the
 * services kernel's folder (or its parent when the kernel was started in the
 * session's `.warren` folder). Every open comm sees every update; one watcher
 * per unfinished run or map. Runs and maps started by other processes (a
 * notebook's `warren.map`, `%map`, the CLI) share the record folder and are
 * picked up by a rescan.
 */
export class RunsCommTarget implements CommTarget {
  readonly name = CommTargets.runs;
  private readonly comms = new Map<string, Comm>();
  private readonly watching = new Set<string>();
  /** A map's counts, from its last progress read. */
  private readonly counts = new Map<string, Pick<MapProgress, 'total' | 'done' | 'failed'>>();
  /** What each client was last told about a run: its `updated` stamp. */
  private readonly seen = new Map<string, string>();
  private readonly maps: MapRunner;
  private readonly logs: LiveLogs;
  private rescan: NodeJS.Timeout | null = null;

  constructor(
    private readonly manager: RunManager,
    private readonly root = RunsCommTarget.serverRoot(),
    private readonly options: RunsCommOptions = {}
  ) {
    this.maps = options.maps?.(manager) ?? new MapRunner(manager.store);
    this.logs = new LiveLogs({
      open: (id) => this.liveSource(id),
      ended: (id) => isFinal(this.manager.store.load(id).state),
      everyMs: options.followMs ?? 2000
    });
  }

  static serverRoot(): string {
    const cwd = process.cwd();
    return basename(cwd) === '.warren' ? dirname(cwd) : cwd;
  }

  open(comm: Comm): void {
    this.comms.set(comm.id, comm);
    comm.onClose(() => {
      this.comms.delete(comm.id);
      this.logs.drop(comm);
      if (this.comms.size === 0 && this.rescan) {
        clearInterval(this.rescan);
        this.rescan = null;
      }
    });
    comm.onMessage((data) => void this.handle(comm, data));
    comm.send(this.list() as unknown as JSONObject);
    this.rescan ??= setInterval(() => this.scan(), this.options.rescanMs ?? 3000);
    this.rescan.unref?.();
    this.scan();
  }

  /** Stops the rescan and the live logs; watchers end with their runs. */
  dispose(): void {
    if (this.rescan) clearInterval(this.rescan);
    this.rescan = null;
    this.logs.dispose();
  }

  private records(): RunRecord[] {
    return this.manager.store.list();
  }

  private list(): RunsMessage {
    const records = this.records();
    for (const r of records) this.seen.set(r.id, r.updated);
    return { type: 'runs', runs: records.map((r) => this.view(r)) };
  }

  /** New or changed records (another process's run or map) go out; unfinished ones are watched. */
  private scan(): void {
    let records: RunRecord[];
    try {
      records = this.records();
    } catch {
      return;
    }
    // A record removed elsewhere (`warren runs forget`) leaves the list too.
    const present = new Set(records.map((r) => r.id));
    for (const id of [...this.seen.keys()])
      if (!present.has(id)) {
        this.seen.delete(id);
        this.counts.delete(id);
        this.broadcast({ type: 'forgotten', id });
      }
    for (const r of records) {
      if (this.seen.get(r.id) !== r.updated) {
        this.seen.set(r.id, r.updated);
        this.broadcast({ type: 'run', run: this.view(r) });
      }
      if (!isFinal(r.state)) this.watch(r);
      else if (r.kind === 'map' && !this.counts.has(r.id)) this.count(r.id);
    }
  }

  private view(r: RunRecord): RunSummary {
    const s = summary(r);
    const rel = (p: string) => (p.startsWith(this.root + '/') ? relative(this.root, p) : p);
    const counts = this.counts.get(r.id);
    return {
      ...s,
      notebook: rel(s.notebook),
      result: s.result ? rel(s.result) : null,
      ...(counts ? { total: counts.total, done: counts.done, failed: counts.failed.length } : {})
    };
  }

  private broadcast(message: RunsMessage): void {
    for (const c of this.comms.values()) c.send(message as unknown as JSONObject);
  }

  private send(record: RunRecord): void {
    this.seen.set(record.id, record.updated);
    this.broadcast({ type: 'run', run: this.view(record) });
  }

  private fail(id: string, error: unknown): void {
    this.broadcast({
      type: 'error',
      id,
      message: String(error instanceof Error ? error.message : error)
    });
  }

  /** A finished map's counts, read once (a retry watches it again). */
  private count(id: string): void {
    this.counts.set(id, { total: 0, done: 0, failed: [] });
    void this.maps
      .progress(id)
      .then((p) => {
        this.counts.set(id, p);
        this.send(this.manager.store.load(id));
      })
      .catch(() => this.counts.delete(id));
  }

  private watch(record: RunRecord): void {
    const id = record.id;
    if (this.watching.has(id)) return;
    this.watching.add(id);
    const done =
      record.kind === 'map'
        ? this.maps
            .wait(id, {
              intervalMs: 1000,
              onProgress: (p) => {
                const before = this.counts.get(id);
                this.counts.set(id, p);
                if (before?.done !== p.done || before.failed.length !== p.failed.length)
                  this.send(this.manager.store.load(id));
              }
            })
            .then(() => this.manager.store.load(id))
        : this.manager.wait(id, { intervalMs: 1000, onUpdate: (r) => this.send(r) });
    void done
      .then((r) => this.send(r))
      .catch((error: unknown) => this.fail(id, error))
      .finally(() => this.watching.delete(id));
  }

  /**
   * A notebook path from the Lab, resolved inside the server root: the run's
   * results are written beside it, so one outside the root (`../x.ipynb`,
   * `/etc/hostname`, a folder linked out of it) is refused.
   */
  private insideRoot(path: string): string {
    const root = realOr(this.root);
    const notebook = resolve(this.root, path);
    const real = join(realOr(dirname(notebook)), basename(notebook));
    const rel = relative(root, real);
    if (rel === '' || rel === '..' || rel.startsWith('../') || isAbsolute(rel))
      throw new Error(
        `${path} is outside the Lab's root folder (${this.root}): only notebooks under it can be sent, since results are written beside them`
      );
    return notebook;
  }

  private async handle(comm: Comm, data: JSONObject): Promise<void> {
    const send = (m: RunsMessage) => comm.send(m as unknown as JSONObject);
    // Decoded from the wire: nothing reaches the manager until the contract's guard says what it is.
    const request: unknown = data;
    if (!isRunsRequest(request)) {
      const id = typeof data.id === 'string' ? data.id : undefined;
      send({ type: 'error', message: `refused: ${runsRequestProblem(request)}`, id });
      return;
    }
    try {
      switch (request.type) {
        case 'list':
          send(this.list());
          break;
        case 'submit': {
          const record = await this.manager.submit({
            ...request,
            notebook: this.insideRoot(request.notebook),
            resultsDir: request.resultsDir ? this.insideRoot(request.resultsDir) : undefined
          });
          this.send(record);
          this.watch(record);
          break;
        }
        case 'cancel': {
          if (this.manager.store.load(request.id).kind === 'map') {
            // The map's own record, as its cancel left it.
            await this.maps.cancel(request.id);
            this.send(this.manager.store.load(request.id));
          } else this.send(await this.manager.cancel(request.id));
          break;
        }
        case 'retry': {
          const record = this.manager.store.load(request.id);
          if (!isFinal(record.state)) throw new Error(`${request.id} is still ${record.state}`);
          if (record.kind === 'notebook') {
            // A notebook run is retried as a new run of the same notebook, profile and parameters.
            const again = await this.manager.submit({
              notebook: record.source,
              profile: record.profile,
              resources: record.resources,
              parameters: record.parameters,
              inputs: record.inputs,
              outputs: record.outputs,
              resultsDir: record.resultsDir
            });
            this.send(again);
            this.watch(again);
            break;
          }
          const again = await this.maps.retry(request.id);
          if (!again) throw new Error(`${request.id}: no failed command to retry`);
          this.counts.delete(request.id);
          this.send(again);
          this.watch(again);
          break;
        }
        case 'forget': {
          const record = this.manager.store.load(request.id);
          if (!isFinal(record.state))
            throw new Error(`${request.id} is still ${record.state}: cancel it first`);
          this.manager.store.remove(request.id);
          this.counts.delete(request.id);
          this.seen.delete(request.id);
          this.broadcast({ type: 'forgotten', id: request.id });
          break;
        }
        case 'fetch': {
          const record = await this.manager.fetch(request.id);
          this.send(record);
          send({ type: 'fetched', id: record.id, path: this.view(record).result ?? '' });
          break;
        }
        case 'tail':
          send({ type: 'tail', id: request.id, text: await this.tail(request.id) });
          break;
        case 'follow':
          this.logs.follow(comm, request.id);
          break;
      }
    } catch (error) {
      send({
        type: 'error',
        message: error instanceof Error ? error.message : String(error),
        id: 'id' in request ? (request.id ?? undefined) : undefined
      });
    }
  }

  /** What a follower of run `id` is pushed: a notebook run's live text, a map's tail when it changes. */
  private liveSource(id: string): LiveSource {
    if (this.manager.store.load(id).kind !== 'map') return this.manager.live(id);
    let last = '';
    return {
      get text() {
        return last;
      },
      next: async () => {
        const text = await this.tail(id);
        if (text === last) return null;
        last = text;
        return { text, reset: true };
      }
    };
  }

  /** A notebook run's live outputs; for a map, its counts and the logs of its failed commands. */
  private async tail(id: string): Promise<string> {
    const record = this.manager.store.load(id);
    if (record.kind !== 'map') return this.manager.tail(id);
    const p = await this.maps.progress(id);
    this.counts.set(id, p);
    const lines = [
      `${p.done} of ${p.total} commands done, ${p.failed.length} failed (${p.message})\n`
    ];
    for (const index of p.failed.slice(0, 5)) {
      const log = await this.maps.log(id, index, 6000).catch(() => '');
      lines.push(`\n--- command ${index} exited ${p.exitCodes[index]} ---\n${log.slice(-1500)}`);
    }
    if (p.failed.length > 5) lines.push(`\n… and ${p.failed.length - 5} more failed commands\n`);
    return lines.join('');
  }
}

/** The real path of a folder, or the path itself when it does not exist (yet). */
function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
