import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { packageRoot } from '../paths';
import { jupyterDataDir } from '../paths';
import { shQuote } from '../services/cluster/site';
import { kernelArgv } from '../supervisor';

export interface KernelSpecTarget {
  user?: boolean;
  sysPrefix?: boolean;
  prefix?: string;
}

export const SPECS = [
  { name: 'warren', display: 'TypeScript (warren)', language: 'typescript' },
  { name: 'warren-js', display: 'JavaScript (warren)', language: 'javascript' }
] as const;

/**
 * The kernels folder to write to: `--prefix P` -> P/share/jupyter/kernels,
 * `--sys-prefix` -> the Python prefix's (from JUPYTER_PREFIX or /usr/local),
 * otherwise the user's data dir (JUPYTER_DATA_DIR honoured).
 */
export function kernelsDir(target: KernelSpecTarget): string {
  if (target.prefix) return join(resolve(target.prefix), 'share', 'jupyter', 'kernels');
  if (target.sysPrefix) return join(Private.sysPrefix(), 'share', 'jupyter', 'kernels');
  return join(jupyterDataDir(), 'kernels');
}

/** The prebuilt JupyterLab extension, when it has been built (npm run build:labextension). */
function labextensionSource(): string | null {
  const dir = join(packageRoot(), 'warren', 'labextension');
  return existsSync(join(dir, 'package.json')) ? dir : null;
}

/** Where JupyterLab looks for prebuilt extensions beside those kernelspecs. */
export function labextensionDir(target: KernelSpecTarget): string {
  return join(dirname(kernelsDir(target)), 'labextensions', 'warren');
}

/**
 * The `warren` command beside a prefix's own (P/bin), which is on PATH
 * wherever that environment is active: in its JupyterLab's kernels, terminals
 * and the Slurm jobs they submit (sbatch passes PATH on). None for --user: the
 * user's data dir has no bin folder of its own.
 */
export function launcherPath(target: KernelSpecTarget): string | null {
  if (target.prefix) return join(resolve(target.prefix), 'bin', 'warren');
  if (target.sysPrefix) return join(Private.sysPrefix(), 'bin', 'warren');
  return null;
}

const LAUNCHER_MARK = '# written by `warren install`';

function writeLauncher(file: string, cli: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `#!/bin/sh\n${LAUNCHER_MARK}\nexec ${shQuote(process.execPath)} ${shQuote(cli)} "$@"\n`
  );
  chmodSync(file, 0o755);
}

/** Writes both kernelspecs; no Python needed. Returns the folders written. */
export function install(target: KernelSpecTarget, assets: string, cli: string): string[] {
  const dir = kernelsDir(target);
  const written: string[] = [];
  for (const spec of SPECS) {
    const folder = join(dir, spec.name);
    mkdirSync(folder, { recursive: true });
    const kernelJson = {
      argv: kernelArgv(cli, spec.language),
      display_name: spec.display,
      language: spec.language,
      // interrupt_request on control: jupyter_client then never signals the
      // process group, so commands in ptys are stopped by us, cleanly.
      interrupt_mode: 'message',
      env: {},
      metadata: { debugger: false }
    };
    writeFileSync(join(folder, 'kernel.json'), JSON.stringify(kernelJson, null, 2) + '\n');
    for (const logo of ['logo-32x32.png', 'logo-64x64.png', 'logo-svg.svg']) {
      const from = join(assets, logo);
      if (existsSync(from)) copyFileSync(from, join(folder, logo));
    }
    written.push(folder);
  }
  const launcher = launcherPath(target);
  if (launcher) {
    writeLauncher(launcher, cli);
    written.push(launcher);
  }
  const extension = labextensionSource();
  if (extension) {
    const to = labextensionDir(target);
    rmSync(to, { recursive: true, force: true });
    mkdirSync(dirname(to), { recursive: true });
    cpSync(extension, to, { recursive: true });
    written.push(to);
  }
  return written;
}

export function uninstall(target: KernelSpecTarget): string[] {
  const dir = kernelsDir(target);
  const removed: string[] = [];
  for (const spec of SPECS) {
    const folder = join(dir, spec.name);
    if (existsSync(folder)) {
      rmSync(folder, { recursive: true, force: true });
      removed.push(folder);
    }
  }
  const launcher = launcherPath(target);
  // Only our own: a `warren` that something else put there stays.
  if (launcher && existsSync(launcher) && readFileSync(launcher, 'utf8').includes(LAUNCHER_MARK)) {
    rmSync(launcher);
    removed.push(launcher);
  }
  const extension = labextensionDir(target);
  if (existsSync(extension)) {
    rmSync(extension, { recursive: true, force: true });
    removed.push(extension);
  }
  return removed;
}

namespace Private {
  /**
   * Python's sys.prefix, as `jupyter kernelspec install --sys-prefix` means
   * it: the active virtualenv or conda env, else the python3 on PATH's.
   */
  export function sysPrefix(): string {
    const env = process.env.VIRTUAL_ENV || process.env.CONDA_PREFIX;
    if (env) return env;
    try {
      return execFileSync('python3', ['-c', 'import sys; print(sys.prefix)'], {
        encoding: 'utf8',
        timeout: 5000
      }).trim();
    } catch {
      return '/usr/local';
    }
  }
}
