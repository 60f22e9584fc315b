import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RunProfile } from '../../../src/contract/runs';
import { isRunProfile } from '../../../src/contract/runs';

/** Where JupyterLab keeps `warren:runs` user settings: the CLI reads the same file. */
export function runsSettingsPath(): string {
  const dir =
    process.env.JUPYTERLAB_SETTINGS_DIR ||
    join(process.env.JUPYTER_CONFIG_DIR || join(homedir(), '.jupyter'), 'lab', 'user-settings');
  return join(dir, 'warren', 'runs.jupyterlab-settings');
}

/** JupyterLab writes JSON5-ish settings: drop comments and trailing commas, keeping strings intact. */
export function parseSettings(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2);
      if (i < 0) break;
      i++;
    } else out += c;
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

export const isProfile = isRunProfile;

export function readProfiles(path = runsSettingsPath()): RunProfile[] {
  if (!existsSync(path)) return [];
  const settings = parseSettings(readFileSync(path, 'utf8'));
  const list =
    typeof settings === 'object' && settings !== null
      ? (settings as { profiles?: unknown }).profiles
      : undefined;
  return Array.isArray(list) ? list.filter(isProfile) : [];
}

export function findProfile(name: string, profiles = readProfiles()): RunProfile {
  const p = profiles.find((x) => x.name === name);
  if (!p) {
    const known = profiles.map((x) => x.name).join(', ') || 'none';
    throw new Error(
      `unknown cluster profile "${name}" (known: ${known}; settings: ${runsSettingsPath()})`
    );
  }
  return p;
}
