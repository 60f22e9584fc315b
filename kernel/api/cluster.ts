import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { RunProfile, RunResources, RunSummary } from '../../src/contract/runs';
import type { RunManager } from '../services/cluster/manager';
import type { MapProgress, MapRunner } from '../services/cluster/map';
import { findProfile, readProfiles } from '../services/cluster/profiles';
import { summary } from '../services/cluster/store';
import { resourcesOf } from '../services/cluster/types';
import { NotebookRunner } from '../services/runner/runner';
import type { OutputSink } from '../engines/engine';
import type { WarrenApi, WarrenMapResult } from './globals';
import type { LineMagics } from './magics';
import { UsageError } from './magics';

/** The members of the `warren` cell global that clusters bring; the rest are api/warren.ts's. */
export type ClusterMember = 'map' | 'run' | 'runs';

export interface ClusterApiOptions {
  manager: RunManager;
  maps: MapRunner;
  cwd: () => string;
  sink: () => OutputSink;
}

type Options = RunResources & { chunk?: number; profile?: string; parallel?: number };

function profileFor(name: string | undefined, kind: 'slurm' | null): RunProfile {
  if (name) return findProfile(name);
  const all = readProfiles();
  const p = all.find((x) => !kind || x.kind === kind);
  if (!p) throw new Error(`no ${kind ?? 'cluster'} profile: add one in Settings > Warren Runs`);
  return p;
}

/** A progress line in the cell, replaced in place as it changes. */
function progressDisplay(sink: OutputSink, id: string): (text: string) => void {
  let shown = false;
  let last = '';
  return (text) => {
    if (text === last) return;
    last = text;
    sink.display({ 'text/plain': text }, { displayId: id, update: shown });
    shown = true;
  };
}

function describe(p: MapProgress): string {
  return `map ${p.id}: ${p.state}, ${p.done}/${p.total} commands done, ${p.failed.length} failed`;
}

/** Declared in globals.ts, checked here; `map` also takes the commands file `%map` names. */
export function clusterApi(options: ClusterApiOptions) {
  const { manager, maps } = options;
  const abs = (p: string) => (isAbsolute(p) ? p : join(options.cwd(), p));
  const result = (p: MapProgress): WarrenMapResult => ({
    ...p,
    log: (index: number) => maps.log(p.id, index),
    retry: async () => {
      const again = await maps.retry(p.id);
      return again ? follow(again.id) : result(p);
    }
  });
  const follow = async (id: string): Promise<WarrenMapResult> => {
    const show = progressDisplay(options.sink(), `warren-map-${id}-${Date.now()}`);
    return result(await maps.wait(id, { onProgress: (p) => show(describe(p)) }));
  };
  return {
    map: async (
      commands: string[] | string,
      o: Options & { source?: string } = {}
    ): Promise<WarrenMapResult> => {
      const list = Array.isArray(commands) ? commands : commands.split('\n');
      const record = await maps.submit({
        commands: list,
        chunk: o.chunk ?? 10,
        profile: profileFor(o.profile, 'slurm'),
        resources: resourcesOf(o),
        parallel: o.parallel,
        // %map names its commands file; the Runs panel shows it.
        ...(o.source ? { source: o.source } : {})
      });
      return follow(record.id);
    },
    run: async (
      notebook: string,
      o: Options & {
        parameters?: Record<string, unknown>;
        inputs?: string[];
        outputs?: string[];
        output?: string;
        wait?: boolean;
      } = {}
    ): Promise<RunSummary> => {
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(o.parameters ?? {}))
        params[k] = typeof v === 'string' ? v : JSON.stringify(v);
      const show = progressDisplay(options.sink(), `warren-run-${Date.now()}`);
      if (!o.profile) {
        const input = abs(notebook);
        const output = abs(o.output ?? notebook.replace(/\.ipynb$/, '') + '.out.ipynb');
        const runner = new NotebookRunner({
          input,
          output,
          parameters: Object.fromEntries(
            Object.entries(o.parameters ?? {}).map(([k, v]) => [
              k,
              JSON.parse(JSON.stringify(v ?? null))
            ])
          ),
          onEvent: (e) => {
            if (e.type === 'cell') show(`${notebook}: cell ${e.position + 1}/${e.total}`);
          }
        });
        const r = await runner.run();
        show(`${notebook}: ${r.status}: ${r.message}`);
        const now = new Date().toISOString();
        return {
          id: 'local',
          kind: 'notebook',
          profile: 'local',
          notebook: input,
          jobId: null,
          state: r.status === 'ok' ? 'completed' : r.status === 'dead' ? 'failed' : r.status,
          message: r.message,
          submitted: now,
          updated: now,
          ended: now,
          result: output,
          total: null,
          done: null,
          failed: null
        };
      }
      const record = await manager.submit({
        notebook: abs(notebook),
        profile: findProfile(o.profile),
        resources: resourcesOf(o),
        parameters: params,
        inputs: o.inputs,
        outputs: o.outputs
      });
      show(`run ${record.id}: ${record.message}`);
      if (o.wait === false) return summary(record);
      const done = await manager.wait(record.id, {
        onUpdate: (r) => show(`run ${r.id}: ${r.state} (${r.message})`)
      });
      show(
        `run ${done.id}: ${done.state} (${done.message})${done.result ? `; result: ${done.result}` : ''}`
      );
      return summary(done);
    },
    runs: () =>
      manager.store
        .list()
        .filter((r) => r.kind === 'notebook')
        .map(summary)
  } satisfies Pick<WarrenApi, ClusterMember>;
}

/** `%map FILE [--chunk N] [--profile NAME]`: the commands file's lines as a job array, progress in the cell. */
export function clusterMagics(options: ClusterApiOptions): Pick<LineMagics, 'map'> {
  const api = clusterApi(options);
  return {
    map: async (arg, out) => {
      const words = arg.trim().split(/\s+/).filter(Boolean);
      const files: string[] = [];
      const given: { chunk?: string; profile?: string } = {};
      for (let i = 0; i < words.length; i++) {
        const w = words[i];
        if (w === '--chunk' || w === '--profile') {
          const v = words[++i];
          if (v === undefined) throw new UsageError('map', `${w} needs a value`);
          given[w === '--chunk' ? 'chunk' : 'profile'] = v;
        } else if (w.startsWith('-')) throw new UsageError('map', `unknown option ${w}`);
        else files.push(w);
      }
      if (files.length !== 1)
        throw new UsageError(
          'map',
          files.length === 0 ? 'no commands file' : `one commands file, not ${files.length}`
        );
      const chunk = Number(given.chunk ?? 10);
      if (!Number.isInteger(chunk) || chunk < 1)
        throw new UsageError(
          'map',
          `--chunk takes a whole number of at least 1, not ${given.chunk}`
        );
      const path = isAbsolute(files[0]) ? files[0] : join(options.cwd(), files[0]);
      if (!existsSync(path)) throw new UsageError('map', `no such file: ${path}`);
      const p = await api.map(readFileSync(path, 'utf8'), {
        chunk,
        profile: given.profile,
        source: path
      });
      if (p.failed.length)
        out.stream(
          'stderr',
          `failed: ${p.failed.join(' ')} (warren.map(...).retry() or warren map ${p.id} --retry)\n`
        );
    }
  };
}
