import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { RunProfile } from '../../../src/contract/runs';
import { shQuote } from './site';
import type { Site } from './site';
import type { RunRecord } from './types';

export const NOTEBOOK = 'notebook.ipynb';
export const RESULT = 'out.ipynb';
export const LOG = 'log';

/**
 * The lines that run the notebook inside the run folder. Only the profile's
 * non-secret env and the parameters appear here: no key, no password.
 */
export function runLines(record: RunRecord): string[] {
  const p = record.profile;
  const lines: string[] = [];
  for (const [k, v] of Object.entries(p.env ?? {}))
    if (/^[A-Za-z_]\w*$/.test(k)) lines.push(`export ${k}=${shQuote(v)}`);
  const params = Object.entries(record.parameters).flatMap(([k, v]) => [
    '-p',
    shQuote(`${k}=${v}`)
  ]);
  lines.push(`${p.warren ?? 'warren'} run ${NOTEBOOK} -o ${RESULT} ${params.join(' ')}`.trimEnd());
  return lines;
}

/** The names in a run folder that are warren's own: no input may take one. */
const RUN_FILES = [
  NOTEBOOK,
  RESULT,
  LOG,
  'job.sh',
  'pid',
  'state',
  'state.tmp',
  'exitcode',
  'cancel-requested'
];

/**
 * Where each input goes in the run folder: at its path relative to the
 * notebook's folder, so the notebook's relative paths (`data/sub-01/dwi.nii`)
 * hold there too; an input outside that folder goes in by its name. Two
 * inputs at one place, or one at a name of warren's own, are refused.
 */
export function inputPlaces(source: string, inputs: string[]): { file: string; place: string }[] {
  const taken = new Map<string, string>();
  return inputs.map((file) => {
    const rel = relative(dirname(source), file);
    const inside = rel !== '' && !isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`);
    const place = (inside ? rel : basename(file)).split(sep).join('/');
    const top = place.split('/')[0];
    if (RUN_FILES.includes(top))
      throw new Error(
        `input ${file} would take the place of warren's own ${top} in the run folder`
      );
    // The notebook passes through the folder under its own name on its way to NOTEBOOK.
    if (top === basename(source))
      throw new Error(
        `input ${file} would take the place of the notebook ${top} in the run folder`
      );
    const other = taken.get(place);
    if (other !== undefined)
      throw new Error(`inputs ${other} and ${file} would both be ${place} in the run folder`);
    for (const [p, f] of taken)
      if (p.startsWith(`${place}/`) || place.startsWith(`${p}/`))
        throw new Error(`inputs ${f} and ${file} overlap in the run folder (${p}, ${place})`);
    taken.set(place, file);
    return { file, place };
  });
}

/** Makes the run folder and copies the notebook (renamed) and the inputs into it. */
export async function stage(
  t: Site,
  record: RunRecord,
  script: { name: string; text: string }
): Promise<void> {
  // Inputs in folders of their own go there (one copy per folder).
  const folders = new Map<string, string[]>();
  for (const { file, place } of inputPlaces(record.source, record.inputs)) {
    const folder = join(record.remoteDir, dirname(place));
    folders.set(folder, [...(folders.get(folder) ?? []), file]);
  }
  const mk = await t.exec(['mkdir', '-p', record.remoteDir, ...folders.keys()]);
  if (mk.code !== 0) throw new Error(`cannot make ${record.remoteDir}: ${mk.stderr.trim()}`);
  const write = await t.exec(['sh', '-c', `cat > ${shQuote(script.name)}`], { input: script.text });
  if (write.code !== 0) throw new Error(`cannot write the job script: ${write.stderr.trim()}`);
  for (const [folder, files] of folders) await t.put(files, folder);
  // The notebook goes in under a fixed name; its inputs keep their paths.
  await t.put([record.source], record.remoteDir);
  const mv = await t.exec([
    'mv',
    `${record.remoteDir}/${basename(record.source)}`,
    `${record.remoteDir}/${NOTEBOOK}`
  ]);
  if (mv.code !== 0) throw new Error(`cannot place the notebook: ${mv.stderr.trim()}`);
}

/** Executed cells' outputs as text, newest last: what the Runs panel tails (its last `max` characters). */
export function notebookTail(json: string, max = 4000): string {
  try {
    const nb = JSON.parse(json) as {
      cells?: {
        outputs?: {
          output_type?: string;
          text?: string;
          data?: { 'text/plain'?: string | string[] };
          ename?: string;
          evalue?: string;
        }[];
      }[];
    };
    const parts: string[] = [];
    for (const cell of nb.cells ?? [])
      for (const o of cell.outputs ?? []) {
        if (o.output_type === 'stream') parts.push(String(o.text ?? ''));
        else if (o.output_type === 'error') parts.push(`${o.ename}: ${o.evalue}\n`);
        else if (o.data?.['text/plain'] !== undefined) {
          const t = o.data['text/plain'];
          parts.push((Array.isArray(t) ? t.join('') : t) + '\n');
        }
      }
    return max === Infinity ? parts.join('') : parts.join('').slice(-max);
  } catch {
    return '';
  }
}

export function profileLabel(p: RunProfile): string {
  return `${p.name} (${p.kind} on ${p.host && p.host !== 'local' ? p.host : 'this machine'})`;
}

/** The running notebook's latest outputs (its live result file), else the end of the run's log. */
export async function tailRun(t: Site, record: RunRecord): Promise<string> {
  const r = await t.exec([
    'sh',
    '-c',
    `f=${shQuote(join(record.remoteDir, RESULT))}; [ "$(wc -c < "$f" 2>/dev/null)" -le ${NOTEBOOK_READ_MAX} ] 2>/dev/null && cat "$f" 2>/dev/null`
  ]);
  const log = await t.exec(['tail', '-c', '2000', join(record.remoteDir, LOG)]);
  return notebookTail(r.stdout) || log.stdout;
}

/**
 * Largest result notebook read for a tail or a live read (images make
 * notebooks big): a larger one is left for the fetch, and the log is shown.
 */
const NOTEBOOK_READ_MAX = 16 * 1024 * 1024;

/** Where a live read of a run got to; the next read goes on from here. */
export interface LiveMark {
  /** `cksum` of the result notebook last read ('' before one was). */
  notebook: string;
  /** Bytes of the log read so far; -1 before the first read. */
  logBytes: number;
}

export interface LiveRead {
  mark: LiveMark;
  /** All the result notebook's output text, when the notebook changed since the mark; else null. */
  notebook: string | null;
  /** What the log gained since the mark. */
  log: string;
  /** `log` is the log's last stretch, not a continuation (a first read, a log cut or started over). */
  logReset: boolean;
}

/** Bytes of the log taken on a first read (as `warren runs tail` shows it), and at most per read after. */
const LOG_FIRST = 2000;
const LOG_MOST = 64 * 1024;

/**
 * One command on the run's host reads what is new since `since`: the log
 * from the byte it was read to (bounded), and the result notebook only when
 * its checksum changed. A run that writes nothing costs a checksum and a
 * byte count, where reading it costs the whole notebook.
 */
export async function readLive(t: Site, record: RunRecord, since: LiveMark): Promise<LiveRead> {
  const marker = `--warren-live-${Math.random().toString(36).slice(2)}--`;
  const script = [
    `cd ${shQuote(record.remoteDir)} 2>/dev/null || exit 0`,
    `c=$(cksum < ${RESULT} 2>/dev/null) || c=`,
    `n=$(wc -c < ${LOG} 2>/dev/null | tr -d ' ') ; [ -n "$n" ] || n=0`,
    `s=${Math.trunc(since.logBytes)}; r=0`,
    `if [ "$s" -lt 0 ] || [ "$n" -lt "$s" ] || [ $((n - s)) -gt ${LOG_MOST} ]; then r=1; s=$((n > ${LOG_FIRST} ? n - ${LOG_FIRST} : 0)); fi`,
    `echo "$n $r $c"`,
    `tail -c +$((s + 1)) ${LOG} 2>/dev/null | head -c $((n - s))`,
    `printf '\\n%s\\n' ${marker}`,
    `if [ -n "$c" ] && [ "$c" != ${shQuote(since.notebook || '-')} ] && [ "$(wc -c < ${RESULT})" -le ${NOTEBOOK_READ_MAX} ]; then cat ${RESULT} 2>/dev/null; fi`
  ].join('\n');
  const out = (await t.exec(['sh', '-c', script])).stdout;
  const eol = out.indexOf('\n');
  const at = out.indexOf(`\n${marker}\n`, eol);
  if (eol < 0 || at < 0) return { mark: since, notebook: null, log: '', logReset: false };
  const [bytes, reset, ...sum] = out.slice(0, eol).split(' ');
  const checksum = sum.join(' ');
  const json = out.slice(at + marker.length + 2);
  const changed = checksum !== '' && checksum !== since.notebook && json !== '';
  return {
    mark: { notebook: changed ? checksum : since.notebook, logBytes: Number(bytes) || 0 },
    notebook: changed ? notebookTail(json, Infinity) : null,
    log: out.slice(eol + 1, at),
    logReset: reset === '1'
  };
}

/** A run that ended without writing its executed notebook: `reason` is its own log's end. */
export class NoResultError extends Error {
  override name = 'NoResultError';
}

/**
 * Throws NoResultError, with the last lines of the job's log, when the run
 * folder holds no executed notebook: the job failed before `warren run` wrote
 * one (a missing command, a kernel that would not start), and that is what the
 * user needs to read, not that a file is missing.
 */
export async function requireResult(t: Site, record: RunRecord): Promise<void> {
  const present = await t.exec(['test', '-f', join(record.remoteDir, RESULT)]);
  if (present.code === 0) return;
  const log = await t.exec(['tail', '-c', '2000', join(record.remoteDir, LOG)]);
  const lines = log.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-3);
  const see = `(see: warren runs tail ${record.id})`;
  throw new NoResultError(
    lines.length
      ? `the run left no result notebook; its log ends: ${lines.join(' | ')} ${see}`
      : `the run left no result notebook and no log ${see}`
  );
}
