import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { JSONObject } from '../../src/contract';
import { CommTargets } from '../../src/contract';
import type { RunsMessage, RunsRequest } from '../../src/contract/runs';
import type { RunManager } from '../services/cluster/manager';
import { isFinal } from '../services/cluster/manager';
import { isProfile } from '../services/cluster/profiles';
import { summary } from '../services/cluster/store';
import type { Comm, CommTarget } from './comm';

/**
 * `warren.runs`: the Runs panel's view of run records. Paths from the Lab are
 * relative to the server root, which is the services kernel's folder (or its
 * parent when the kernel was started in the session's `.warren` folder).
 * Every open comm sees every update; one watcher per unfinished run.
 */
export class RunsCommTarget implements CommTarget {
  readonly name = CommTargets.runs;
  private readonly comms = new Map<string, Comm>();
  private readonly watching = new Set<string>();

  constructor(
    private readonly manager: RunManager,
    private readonly root = RunsCommTarget.serverRoot()
  ) {}

  static serverRoot(): string {
    const cwd = process.cwd();
    return basename(cwd) === '.warren' ? dirname(cwd) : cwd;
  }

  open(comm: Comm): void {
    this.comms.set(comm.id, comm);
    comm.onClose(() => this.comms.delete(comm.id));
    comm.onMessage((data) => void this.handle(comm, data));
    comm.send(this.list() as unknown as JSONObject);
    // Runs left unfinished by an earlier kernel are picked up again.
    for (const r of this.manager.store.list())
      if (r.kind === 'notebook' && !isFinal(r.state)) this.watch(r.id);
  }

  private list(): RunsMessage {
    return {
      type: 'runs',
      runs: this.manager.store
        .list()
        .filter((r) => r.kind === 'notebook')
        .map((r) => this.view(summary(r)))
    };
  }

  private view<T extends { notebook: string; result: string | null }>(s: T): T {
    const rel = (p: string) => (p.startsWith(this.root + '/') ? relative(this.root, p) : p);
    return { ...s, notebook: rel(s.notebook), result: s.result ? rel(s.result) : null };
  }

  private broadcast(message: RunsMessage): void {
    for (const c of this.comms.values()) c.send(message as unknown as JSONObject);
  }

  private watch(id: string): void {
    if (this.watching.has(id)) return;
    this.watching.add(id);
    void this.manager
      .wait(id, {
        intervalMs: 1000,
        onUpdate: (r) => this.broadcast({ type: 'run', run: this.view(summary(r)) })
      })
      .then((r) => this.broadcast({ type: 'run', run: this.view(summary(r)) }))
      .catch((error: unknown) =>
        this.broadcast({
          type: 'error',
          id,
          message: String(error instanceof Error ? error.message : error)
        })
      )
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
    const request = data as unknown as RunsRequest;
    const send = (m: RunsMessage) => comm.send(m as unknown as JSONObject);
    try {
      switch (request.type) {
        case 'list':
          send(this.list());
          break;
        case 'submit': {
          if (!isProfile(request.profile))
            throw new Error('the profile needs a name, a kind (slurm or ssh) and a workdir');
          const notebook = this.insideRoot(request.notebook);
          const record = await this.manager.submit({ ...request, notebook });
          this.broadcast({ type: 'run', run: this.view(summary(record)) });
          this.watch(record.id);
          break;
        }
        case 'cancel':
          this.broadcast({
            type: 'run',
            run: this.view(summary(await this.manager.cancel(request.id)))
          });
          break;
        case 'fetch': {
          const record = await this.manager.fetch(request.id);
          this.broadcast({ type: 'run', run: this.view(summary(record)) });
          send({ type: 'fetched', id: record.id, path: this.view(summary(record)).result ?? '' });
          break;
        }
        case 'tail':
          send({ type: 'tail', id: request.id, text: await this.manager.tail(request.id) });
          break;
        default:
          throw new Error(`unknown request ${String((data as { type?: unknown }).type)}`);
      }
    } catch (error) {
      send({
        type: 'error',
        message: error instanceof Error ? error.message : String(error),
        id: 'id' in request ? request.id : undefined
      });
    }
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
