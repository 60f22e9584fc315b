import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { PaceLimits } from './protocol/pace';
import { JUPYTER_SERVER_LIMITS } from './protocol/pace';

/** Commands that run a Jupyter server, as the launcher's argv[0] or after `python -m`. */
const SERVER_COMMANDS = new Set([
  'jupyter-lab',
  'jupyter-server',
  'jupyter-notebook',
  'jupyter-nbclassic',
  'jupyter-labhub',
  'jupyterhub-singleuser',
  'voila'
]);
const SERVER_MODULES = new Set([
  'jupyterlab',
  'jupyter_server',
  'notebook',
  'nbclassic',
  'voila',
  'jupyterhub.singleuser'
]);

/** Where to look for what a server was told: /proc, and the system's Jupyter config folders. */
export interface LimitSources {
  procRoot?: string;
  /** Lowest precedence, last: jupyter_core's SYSTEM_CONFIG_PATH. */
  systemConfigDirs?: string[];
}

/**
 * The IOPub rate limits the kernel's output keeps under (see
 * protocol/pace.ts and protocol/message-pace.ts). WARREN_IOPUB_RATE_LIMIT
 * (bytes a second), WARREN_IOPUB_MSG_RATE_LIMIT (messages a second; either 0
 * for none) and WARREN_IOPUB_RATE_WINDOW (seconds) say them outright. Else,
 * when the process that launched the kernel (JPY_PARENT_PID, which
 * jupyter_client sets) is a Jupyter server: the limits it was told to keep
 * (its command line, its config files: see serverSettings), or its defaults.
 * None when it is not: a client that talks ZeroMQ itself (nbclient, VS Code,
 * `warren run`) gets every message and every byte.
 */
export function iopubLimits(env: NodeJS.ProcessEnv, sources: LimitSources = {}): PaceLimits | null {
  const procRoot = sources.procRoot ?? '/proc';
  let server: ServerSettings | null | undefined;
  /** The server's settings, read once; null when no Jupyter server launched the kernel. */
  const underServer = () => {
    if (server !== undefined) return server;
    const parent = Number(env.JPY_PARENT_PID);
    const argv = Number.isInteger(parent) && parent > 0 ? Private.cmdline(parent, procRoot) : null;
    server =
      argv && Private.runsServer(argv)
        ? serverSettings(argv, env, sources.systemConfigDirs ?? Private.SYSTEM_CONFIG_DIRS)
        : null;
    return server;
  };
  const asked = (value: string | undefined) => {
    if (value === undefined || value.trim() === '') return undefined;
    const n = Number(value);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  const fromServer = (pick: (s: ServerSettings) => number | undefined, fallback: number) => {
    const s = underServer();
    if (!s) return 0;
    if (s.limitRate === false) return 0;
    return pick(s) ?? fallback;
  };
  const windowAsked = asked(env.WARREN_IOPUB_RATE_WINDOW);
  const bytesPerSecond =
    asked(env.WARREN_IOPUB_RATE_LIMIT) ??
    fromServer((s) => s.bytesPerSecond, JUPYTER_SERVER_LIMITS.bytesPerSecond);
  const messagesPerSecond =
    asked(env.WARREN_IOPUB_MSG_RATE_LIMIT) ??
    fromServer((s) => s.messagesPerSecond, JUPYTER_SERVER_LIMITS.messagesPerSecond);
  if (bytesPerSecond === 0 && messagesPerSecond === 0) return null;
  const window =
    windowAsked !== undefined && windowAsked > 0
      ? windowAsked
      : (underServer()?.windowSeconds ?? JUPYTER_SERVER_LIMITS.windowSeconds);
  return {
    bytesPerSecond,
    messagesPerSecond,
    windowSeconds: window > 0 ? window : JUPYTER_SERVER_LIMITS.windowSeconds
  };
}

/**
 * The rate settings a Jupyter server started with `argv` was given, where it
 * says them: its command line (`--ServerApp.iopub_data_rate_limit=1e10`, the
 * flag its own "IOPub data rate exceeded" notice advises) and its config files
 * (JSON, and the `c.ServerApp.name = value` lines of a Python one). Both
 * spellings count, ServerApp's (deprecated, still honoured) and
 * ZMQChannelsWebsocketConnection's, the latter first, as jupyter_server takes
 * them; the command line beats any file, a user's file a system one. A value
 * a Python config computes is not guessed at.
 */
export function serverSettings(
  argv: string[],
  env: NodeJS.ProcessEnv,
  systemConfigDirs: string[] = Private.SYSTEM_CONFIG_DIRS
): ServerSettings {
  // Per class, lowest precedence first: later layers overwrite. An extension
  // app's files (JupyterLab's, Notebook 7's) go below the server's own in
  // every folder, as jupyter_server merges them; the command line is last.
  const layers: Private.Layer[] = [];
  const dirs = Private.configDirs(argv, env, systemConfigDirs).reverse();
  for (const name of Private.CONFIG_FILES) {
    for (const dir of dirs) {
      layers.push(Private.fromPython(Private.read(join(dir, `${name}.py`))));
      layers.push(Private.fromJson(Private.read(join(dir, `${name}.json`))));
    }
  }
  layers.push(Private.fromArgv(argv));
  const settings: ServerSettings = {};
  for (const cls of Private.CLASSES) {
    for (const layer of layers) {
      for (const [name, value] of Object.entries(layer[cls] ?? {})) {
        const key = Private.SETTINGS[name as Private.SettingName];
        if (key === 'limitRate') {
          if (typeof value === 'boolean') settings.limitRate = value;
        } else if (typeof value === 'number' && Number.isFinite(value)) {
          // A limit of 0 or below is none (the server checks `limit > 0`).
          if (key !== 'windowSeconds') settings[key] = Math.max(0, value);
          else if (value > 0) settings[key] = value;
        }
      }
    }
  }
  return settings;
}

/** What a Jupyter server was told of its rate limits (see serverSettings). */
export interface ServerSettings {
  limitRate?: boolean;
  bytesPerSecond?: number;
  messagesPerSecond?: number;
  windowSeconds?: number;
}

/** Whether process `pid` runs a Jupyter server (its command line, from /proc). */
export function isJupyterServer(pid: number, procRoot = '/proc'): boolean {
  const argv = Private.cmdline(pid, procRoot);
  return argv !== null && Private.runsServer(argv);
}

namespace Private {
  export const SETTINGS = {
    limit_rate: 'limitRate',
    iopub_data_rate_limit: 'bytesPerSecond',
    iopub_msg_rate_limit: 'messagesPerSecond',
    rate_limit_window: 'windowSeconds'
  } as const;
  export type SettingName = keyof typeof SETTINGS;
  /**
   * Lowest first: jupyter_server takes ServerApp's value only where the
   * other's is not set, and notebook_shim moves NotebookApp's (the old advice,
   * `--NotebookApp.iopub_data_rate_limit`) to ServerApp where that is not set.
   */
  export const CLASSES = ['NotebookApp', 'ServerApp', 'ZMQChannelsWebsocketConnection'] as const;
  /** Settings by class, as one source gives them. */
  export type Layer = Partial<Record<(typeof CLASSES)[number], Record<string, number | boolean>>>;
  /** A server's files, lowest first: an extension app's own (JupyterLab's, Notebook 7's), then its own. */
  export const CONFIG_FILES = [
    'jupyter_notebook_config',
    'jupyter_lab_config',
    'jupyter_server_config'
  ];
  export const SYSTEM_CONFIG_DIRS = ['/usr/local/etc/jupyter', '/etc/jupyter'];

  export function cmdline(pid: number, procRoot: string): string[] | null {
    try {
      return readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      return null;
    }
  }

  export function runsServer(argv: string[]): boolean {
    const m = argv.indexOf('-m');
    if (m >= 0 && m < 3 && SERVER_MODULES.has(argv[m + 1] ?? '')) return true;
    // argv[0], or the script an interpreter runs (python .../bin/jupyter-lab).
    return argv.slice(0, 2).some((a) => SERVER_COMMANDS.has(basename(a)));
  }

  export function read(path: string): string | null {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  }

  /**
   * jupyter_core's config path, highest first: JUPYTER_CONFIG_PATH; the
   * user's (JUPYTER_CONFIG_DIR or ~/.jupyter, the user site's) and the
   * server's Python prefix (from its interpreter's or script's path), the
   * prefix first when it is a virtualenv or a conda environment not the base
   * (or as JUPYTER_PREFER_ENV_PATH says); the system's. JUPYTER_NO_CONFIG:
   * none (the server reads an empty folder).
   */
  export function configDirs(argv: string[], env: NodeJS.ProcessEnv, system: string[]): string[] {
    if (env.JUPYTER_NO_CONFIG) return [];
    const home = env.HOME || homedir();
    const user = [
      env.JUPYTER_CONFIG_DIR || join(home, '.jupyter'),
      join(env.PYTHONUSERBASE || join(home, '.local'), 'etc', 'jupyter')
    ];
    const prefixes = argv
      .slice(0, 2)
      .filter((a) => isAbsolute(a) && basename(dirname(a)) === 'bin')
      .map((a) => dirname(dirname(a)));
    const envDirs = prefixes.map((p) => join(p, 'etc', 'jupyter'));
    const dirs = (env.JUPYTER_CONFIG_PATH ?? '').split(':').filter((d) => d !== '');
    if (preferEnvironment(prefixes, env)) dirs.push(...envDirs, ...user);
    else dirs.push(...user, ...envDirs);
    dirs.push(...system);
    return [...new Set(dirs)];
  }

  /** jupyter_core's prefer_environment_over_user, for the server's prefix. */
  function preferEnvironment(prefixes: string[], env: NodeJS.ProcessEnv): boolean {
    const asked = env.JUPYTER_PREFER_ENV_PATH;
    if (asked !== undefined)
      return !['no', 'n', 'false', 'off', '0', '0.0'].includes(asked.toLowerCase());
    const prefix = prefixes[0];
    if (prefix === undefined) return false;
    if (existsSync(join(prefix, 'pyvenv.cfg'))) return true;
    const conda = env.CONDA_PREFIX;
    return (
      conda !== undefined &&
      conda !== '' &&
      prefix.startsWith(conda) &&
      (env.CONDA_DEFAULT_ENV ?? 'base') !== 'base'
    );
  }

  /** `--Class.name=value` or `--Class.name value`. */
  export function fromArgv(argv: string[]): Layer {
    const layer: Layer = {};
    for (let i = 0; i < argv.length; i++) {
      const m = /^--?(\w+)\.(\w+)(?:=(.*))?$/s.exec(argv[i]);
      if (!m) continue;
      const raw = m[3] ?? argv[i + 1];
      if (raw === undefined) continue;
      set(layer, m[1], m[2], value(raw));
    }
    return layer;
  }

  export function fromJson(text: string | null): Layer {
    const layer: Layer = {};
    if (text === null) return layer;
    let config: unknown;
    try {
      config = JSON.parse(text);
    } catch {
      return layer;
    }
    if (typeof config !== 'object' || config === null) return layer;
    for (const [cls, settings] of Object.entries(config)) {
      if (typeof settings !== 'object' || settings === null) continue;
      for (const [name, v] of Object.entries(settings as Record<string, unknown>))
        if (typeof v === 'number' || typeof v === 'boolean') set(layer, cls, name, v);
    }
    return layer;
  }

  /** Lines `c.Class.name = literal`; anything computed is left alone. */
  export function fromPython(text: string | null): Layer {
    const layer: Layer = {};
    if (text === null) return layer;
    const line = /^c\.(\w+)\.(\w+)\s*=\s*([^\s#]+)\s*(?:#.*)?$/gm;
    for (const m of text.matchAll(line)) set(layer, m[1], m[2], value(m[3]));
    return layer;
  }

  /** A number or boolean as Python or traitlets' command line writes it, else undefined. */
  function value(raw: string): number | boolean | undefined {
    const text = raw.trim();
    if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
    if (!/^[+-]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(e[+-]?\d+)?$/i.test(text)) return undefined;
    const n = Number(text.replaceAll('_', ''));
    return Number.isFinite(n) ? n : undefined;
  }

  function set(layer: Layer, cls: string, name: string, v: number | boolean | undefined): void {
    if (v === undefined || !(name in SETTINGS)) return;
    const known = CLASSES.find((c) => c === cls);
    if (known === undefined) return;
    (layer[known] ??= {})[name] = v;
  }
}
