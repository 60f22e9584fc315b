import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { jupyterDataDir } from '../../paths';

export interface KernelSpec {
  name: string;
  dir: string;
  argv: string[];
  displayName: string;
  language: string;
  interruptMode: 'signal' | 'message';
  env: Record<string, string>;
}

/** Kernel folders in jupyter_client's order: JUPYTER_PATH, the data dir, then the system ones. */
export function kernelDirs(): string[] {
  const dirs: string[] = [];
  for (const p of (process.env.JUPYTER_PATH ?? '').split(delimiter))
    if (p) dirs.push(join(p, 'kernels'));
  dirs.push(join(jupyterDataDir(), 'kernels'));
  if (process.env.JUPYTER_PREFIX)
    dirs.push(join(process.env.JUPYTER_PREFIX, 'share', 'jupyter', 'kernels'));
  dirs.push('/usr/local/share/jupyter/kernels', '/usr/share/jupyter/kernels');
  return dirs;
}

/** Every kernelspec found, the first folder winning for a name. */
export function findKernelSpecs(): Map<string, KernelSpec> {
  const specs = new Map<string, KernelSpec>();
  for (const dir of kernelDirs()) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const key = name.toLowerCase();
      if (specs.has(key)) continue;
      const spec = readSpec(join(dir, name), key);
      if (spec) specs.set(key, spec);
    }
  }
  return specs;
}

export function findKernelSpec(name: string): KernelSpec {
  const specs = findKernelSpecs();
  const spec = specs.get(name.toLowerCase());
  if (!spec) {
    const known = [...specs.keys()].join(', ') || 'none';
    throw new Error(
      `no kernelspec named "${name}" (found: ${known}; searched ${kernelDirs().join(', ')})`
    );
  }
  return spec;
}

function readSpec(dir: string, name: string): KernelSpec | null {
  try {
    const json: unknown = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8'));
    if (typeof json !== 'object' || json === null) return null;
    const o = json as Record<string, unknown>;
    if (!Array.isArray(o.argv) || o.argv.length === 0) return null;
    const env: Record<string, string> = {};
    if (typeof o.env === 'object' && o.env !== null)
      for (const [k, v] of Object.entries(o.env)) if (typeof v === 'string') env[k] = v;
    return {
      name,
      dir,
      argv: o.argv.map((a) => String(a).replace('{resource_dir}', dir)),
      displayName: typeof o.display_name === 'string' ? o.display_name : name,
      language: typeof o.language === 'string' ? o.language : '',
      interruptMode: o.interrupt_mode === 'message' ? 'message' : 'signal',
      env
    };
  } catch {
    return null;
  }
}
