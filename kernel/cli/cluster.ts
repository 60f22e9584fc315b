import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RunResources } from '../../src/contract/runs';
import { isFinal, RunManager } from '../services/cluster/manager';
import { MapRunner } from '../services/cluster/map';
import type { MapProgress } from '../services/cluster/map';
import { findProfile, readProfiles } from '../services/cluster/profiles';
import { summary } from '../services/cluster/store';
import type { RunRecord } from '../services/cluster/types';
import { readNotebook, tagsOf } from '../services/runner/notebook';
import { noParametersCellWarning } from '../services/runner/params';

interface Parsed {
  positional: string[];
  values: Map<string, string[]>;
  flags: Set<string>;
}

const VALUED = new Set([
  '--profile',
  '-p',
  '--input',
  '--output',
  '--partition',
  '--gpus',
  '--cpus',
  '--mem',
  '--time',
  '--chunk',
  '--parallel',
  '--interval'
]);

function parse(args: string[]): Parsed {
  const p: Parsed = { positional: [], values: new Map(), flags: new Set() };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (VALUED.has(a)) {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      p.values.set(a, [...(p.values.get(a) ?? []), v]);
    } else if (a.startsWith('--')) p.flags.add(a);
    else p.positional.push(a);
  }
  return p;
}

const one = (p: Parsed, name: string) => p.values.get(name)?.[0];

/** A whole number from `min` up, or undefined when the option is absent; anything else is a usage error. */
function count(p: Parsed, name: string, min = 1): number | undefined {
  const v = one(p, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < min)
    throw new Error(`${name} takes a whole number from ${min} up, not ${JSON.stringify(v)}`);
  return Number(v);
}

function resources(p: Parsed): RunResources {
  const r: RunResources = {};
  const partition = one(p, '--partition');
  if (partition) r.partition = partition;
  const gpus = count(p, '--gpus', 0);
  if (gpus !== undefined) r.gpus = gpus;
  const cpus = count(p, '--cpus');
  if (cpus) r.cpus = cpus;
  const mem = one(p, '--mem');
  if (mem) r.mem = mem;
  const time = one(p, '--time');
  if (time) r.time = time;
  return r;
}

function line(r: RunRecord): string {
  return `${r.id}\t${r.state}\t${r.profile.name}\t${r.jobId ?? '-'}\t${r.message}${r.result ? `\tresult: ${r.result}` : ''}`;
}

function progressLine(p: MapProgress): string {
  return `${p.id}: ${p.state} ${p.done}/${p.total} done, ${p.failed.length} failed (${p.message})`;
}

/** `warren submit`, `warren runs ...`, `warren map`: exit 0 only when the run (or every command) succeeded. */
export async function clusterCommand(command: string, args: string[]): Promise<number> {
  const p = parse(args);
  const out = (s: string) => process.stdout.write(s + '\n');
  const manager = new RunManager();
  switch (command) {
    case 'submit': {
      const notebook = p.positional[0];
      const profileName = one(p, '--profile');
      if (!notebook || !profileName)
        throw new Error(
          'usage: warren submit NOTEBOOK.ipynb --profile NAME [-p name=value ...] [--input F ...] [--output F ...] [--wait]'
        );
      const parameters: Record<string, string> = {};
      for (const kv of p.values.get('-p') ?? []) {
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new Error(`parameter "${kv}" is not name=value`);
        parameters[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
      // Said before anything runs: the job's output notebook says it again.
      const names = Object.keys(parameters);
      if (
        names.length &&
        !readNotebook(resolve(notebook)).cells.some((c) => tagsOf(c).includes('parameters'))
      )
        process.stderr.write(`${noParametersCellWarning(names)}\n`);
      const record = await manager.submit({
        notebook,
        profile: findProfile(profileName),
        resources: resources(p),
        parameters,
        inputs: p.values.get('--input') ?? [],
        outputs: p.values.get('--output') ?? []
      });
      out(line(record));
      if (!p.flags.has('--wait')) return 0;
      return waitRun(manager, record.id, out);
    }
    case 'runs': {
      const [verb = 'list', id] = p.positional;
      if (verb === 'list') {
        for (const r of manager.store.list()) out(line(r));
        return 0;
      }
      if (verb === 'profiles') {
        for (const pr of readProfiles()) out(`${pr.name}\t${pr.kind}\t${pr.host ?? 'local'}`);
        return 0;
      }
      if (!id) throw new Error(`usage: warren runs ${verb} ID`);
      switch (verb) {
        case 'status': {
          const r = manager.store.load(id).kind === 'map' ? null : await manager.poll(id);
          if (r) {
            out(JSON.stringify(summary(r)));
            return 0;
          }
          out(JSON.stringify(await new MapRunner(manager.store).progress(id)));
          return 0;
        }
        case 'cancel':
          if (manager.store.load(id).kind === 'map') await new MapRunner(manager.store).cancel(id);
          else out(line(await manager.cancel(id)));
          return 0;
        case 'fetch':
          out(line(await manager.fetch(id)));
          return 0;
        case 'forget': {
          // Only the local record goes; the run folder on the cluster stays.
          const r = manager.store.load(id);
          if (!isFinal(r.state)) throw new Error(`${id} is still ${r.state}: cancel it first`);
          manager.store.remove(id);
          out(`forgot ${id} (its folder on ${r.profile.name} is left: ${r.remoteDir})`);
          return 0;
        }
        case 'tail':
          out(await manager.tail(id));
          return 0;
        case 'wait':
          return waitRun(manager, id, out);
        default:
          throw new Error(`warren runs: unknown verb ${verb}`);
      }
    }
    case 'map': {
      const maps = new MapRunner(manager.store);
      const retry = p.flags.has('--retry') ? p.positional[0] : undefined;
      let id: string;
      if (retry) {
        const again = await maps.retry(retry);
        if (!again) {
          out(`${retry}: nothing to retry`);
          return 0;
        }
        id = again.id;
      } else {
        const file = p.positional[0];
        const profiles = readProfiles();
        const name = one(p, '--profile') ?? profiles.find((x) => x.kind === 'slurm')?.name;
        if (!file || !name)
          throw new Error(
            'usage: warren map COMMANDS.txt --chunk N [--profile NAME] [--parallel N] [--no-wait]   (or: warren map ID --retry)'
          );
        const record = await maps.submit({
          commands: readFileSync(resolve(file), 'utf8').split('\n'),
          chunk: count(p, '--chunk') ?? 10,
          profile: findProfile(name, profiles),
          resources: resources(p),
          parallel: count(p, '--parallel'),
          source: resolve(file)
        });
        id = record.id;
      }
      out(`${id}: ${maps.store.load(id).message}`);
      if (p.flags.has('--no-wait')) return 0;
      let last = '';
      const final = await maps.wait(id, {
        intervalMs: count(p, '--interval') ?? 1000,
        onProgress: (pr) => {
          const l = progressLine(pr);
          if (l !== last) process.stderr.write(l + '\n');
          last = l;
        }
      });
      out(progressLine(final));
      if (final.failed.length)
        out(
          `failed: ${final.failed.join(' ')}  (logs: ${maps.store.load(id).remoteDir}/logs/INDEX.log; retry: warren map ${id} --retry)`
        );
      return final.state === 'completed' && final.failed.length === 0 && final.done === final.total
        ? 0
        : 1;
    }
    default:
      throw new Error(`unknown command ${command}`);
  }
}

async function waitRun(manager: RunManager, id: string, out: (s: string) => void): Promise<number> {
  const r = await manager.wait(id, { onUpdate: (x) => process.stderr.write(line(x) + '\n') });
  out(line(r));
  return isFinal(r.state) && r.state === 'completed' ? 0 : 1;
}
