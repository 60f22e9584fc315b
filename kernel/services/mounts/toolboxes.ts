import { chmod, open, readdir, stat } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, isAbsolute, join, normalize, relative } from 'node:path';
import type { ToolManifest, Toolbox, ToolboxStatus } from '../../../src/contract/mounts';
import { asToolbox } from './store';

export const MANIFEST = '.warren-tools.json';

export function binDirs(toolbox: Toolbox): string[] {
  return (toolbox.bin.length ? toolbox.bin : ['bin']).map((b) => join(toolbox.root, b));
}

/** `${root}` in a toolbox variable is its root. */
export function envOf(toolbox: Toolbox): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(toolbox.env)) out[k] = v.split('${root}').join(toolbox.root);
  return out;
}

/**
 * The variables to set for these toolboxes: their bin folders in front of
 * PATH (first toolbox first, each once), then their own variables.
 */
export function toolEnvironment(
  toolboxes: Toolbox[],
  env: NodeJS.ProcessEnv
): Record<string, string> {
  const bins = toolboxes.flatMap(binDirs);
  const rest = (env.PATH ?? '').split(delimiter).filter((p) => p && !bins.includes(p));
  const out: Record<string, string> = { PATH: [...new Set(bins), ...rest].join(delimiter) };
  for (const t of toolboxes) Object.assign(out, envOf(t));
  return out;
}

const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** Whether a file is a program: an ELF binary or a script with a `#!` line. */
async function isProgram(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return (
      (bytesRead >= 4 && head.equals(ELF)) ||
      (bytesRead >= 2 && head[0] === 0x23 && head[1] === 0x21)
    );
  } finally {
    await fh.close();
  }
}

export interface Repair {
  /** Files that had lost their exec bits and have them again. */
  fixed: string[];
  /** Files that need them but the volume would not keep them (rclone without execBits). */
  failed: string[];
}

/** Gives programs in these folders back the exec bits the volume lost (x wherever r is set). */
export async function repairExecBits(dirs: string[]): Promise<Repair> {
  const out: Repair = { fixed: [], failed: [] };
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const file = join(dir, name);
      try {
        const s = await stat(file);
        if (!s.isFile() || (s.mode & 0o111) !== 0 || !(await isProgram(file))) continue;
        const mode = (s.mode & 0o7777) | ((s.mode & 0o444) >> 2);
        await chmod(file, mode);
        if (((await stat(file)).mode & 0o111) !== 0) out.fixed.push(file);
        else out.failed.push(file);
      } catch {
        out.failed.push(file);
      }
    }
  }
  return out;
}

export function toolboxStatus(toolbox: Toolbox): ToolboxStatus {
  let present = false;
  let commands = 0;
  try {
    present = statSync(toolbox.root).isDirectory();
    for (const dir of binDirs(toolbox)) {
      try {
        commands += readdirSync(dir).length;
      } catch {
        // no such bin folder
      }
    }
  } catch {
    present = false;
  }
  return { ...toolbox, present, commands };
}

/** Checks a toolbox given by a user; throws with what is wrong. */
export function validateToolbox(input: Toolbox): Toolbox {
  if (!/^[A-Za-z0-9_.-]+$/.test(input.name))
    throw new Error(`a toolbox name is letters, digits, '.', '_' or '-', not '${input.name}'`);
  if (!isAbsolute(input.root))
    throw new Error(`a toolbox root must be an absolute path, not '${input.root}'`);
  const root = normalize(input.root).replace(/\/+$/, '') || '/';
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    throw new Error(`toolbox folder ${root} does not exist (is its volume mounted?)`);
  }
  if (!isDir) throw new Error(`toolbox root ${root} is not a folder`);
  const bin = input.bin.length ? input.bin : ['bin'];
  for (const b of bin)
    if (isAbsolute(b) || normalize(b).startsWith('..'))
      throw new Error(`bin folders are relative to the root, inside it: '${b}'`);
  for (const k of Object.keys(input.env))
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`not a variable name: '${k}'`);
  return { name: input.name, root, bin, env: { ...input.env } };
}

export function readManifest(volume: string): ToolManifest | null {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(volume, MANIFEST), 'utf8'));
  } catch {
    return null;
  }
  if (
    typeof raw !== 'object' ||
    raw === null ||
    !Array.isArray((raw as { toolboxes?: unknown }).toolboxes)
  )
    return null;
  const toolboxes: ToolManifest['toolboxes'] = [];
  for (const item of (raw as { toolboxes: unknown[] }).toolboxes) {
    const path =
      typeof item === 'object' && item !== null ? (item as { path?: unknown }).path : undefined;
    const t = asToolbox({ ...(item as object), root: '/' });
    if (!t || typeof path !== 'string' || isAbsolute(path) || normalize(path).startsWith('..'))
      continue;
    toolboxes.push({ name: t.name, path, bin: t.bin, env: t.env });
  }
  return { version: 1, toolboxes };
}

/** The toolboxes of a manifest, with roots on this volume. */
export function manifestToolboxes(volume: string, manifest: ToolManifest): Toolbox[] {
  return manifest.toolboxes.map((t) => ({
    name: t.name,
    root: join(volume, t.path),
    bin: t.bin,
    env: t.env
  }));
}

/** Adds (or replaces) a toolbox in the manifest on its volume. */
export function writeManifest(volume: string, toolbox: Toolbox): void {
  const manifest = readManifest(volume) ?? { version: 1, toolboxes: [] };
  const entry = {
    name: toolbox.name,
    path: relative(volume, toolbox.root) || '.',
    bin: toolbox.bin,
    env: toolbox.env
  };
  manifest.toolboxes = [...manifest.toolboxes.filter((t) => t.name !== toolbox.name), entry];
  writeFileSync(join(volume, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
}

export function removeFromManifest(volume: string, name: string): void {
  const manifest = readManifest(volume);
  if (!manifest || !existsSync(join(volume, MANIFEST))) return;
  manifest.toolboxes = manifest.toolboxes.filter((t) => t.name !== name);
  writeFileSync(join(volume, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
}
