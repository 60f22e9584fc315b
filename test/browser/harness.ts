import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

/** The repository root, from the source (test/browser) or compiled (lib/test/browser) location. */
export const ROOT = [resolve(__dirname, '..', '..'), resolve(__dirname, '..', '..', '..')].find(
  (dir) => existsSync(join(dir, 'scripts', 'start.js'))
) as string;
export const RESULTS = join(ROOT, 'test-results');

/** Flags for the system Chromium: no sandbox (root), nothing from the network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run'
];

import { freePort } from '../../kernel/ports';
import { alive } from '../../kernel/pids';
import { descendants, endProcesses } from '../../kernel/services/processes';

export { freePort };

export interface LabServer {
  url: string;
  root: string;
  output: () => string;
  /** Stops the server (its kernels go with it) and starts it again on the same port and root. */
  restart: () => Promise<void>;
  stop: () => Promise<void>;
}

/**
 * `node scripts/start.js` (the stock JupyterLab in .venv) on a free port with an
 * empty token and a temporary root, settings and workspaces dir; resolves once
 * it prints its URL.
 */
export async function startLab(
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 240000,
  app: 'lab' | 'notebook' = 'lab',
  serverSettings: string[] = []
): Promise<LabServer> {
  const root = mkdtempSync(join(tmpdir(), 'warren-lab-'));
  mkdirSync(join(root, 'work'));
  const port = await freePort();
  let log = '';
  let child: ChildProcess | null = null;
  const launch = async (): Promise<string> => {
    const from = log.length;
    const proc: ChildProcess = spawn(
      process.execPath,
      [
        join(ROOT, 'scripts', 'start.js'),
        '--no-build',
        '--app',
        app,
        '--port',
        String(port),
        '--root',
        join(root, 'work'),
        '--settings-dir',
        join(root, 'lab'),
        '--workspaces-dir',
        join(root, 'workspaces'),
        '--token',
        '',
        '--expose-app',
        ...serverSettings
      ],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true
      }
    );
    child = proc;
    proc.stdout?.on('data', (c: Buffer) => (log += c.toString()));
    proc.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    return new Promise<string>((ok, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`the lab did not start in ${timeoutMs} ms:\n${log}`)),
        timeoutMs
      );
      const check = () => {
        const m = /is ready at (http:\/\/\S+)/.exec(log.slice(from));
        if (m) {
          clearTimeout(timer);
          ok(m[1]);
        }
      };
      proc.stdout?.on('data', check);
      proc.stderr?.on('data', check);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`start.js exited (${code}):\n${log}`));
      });
    });
  };
  const halt = async (): Promise<void> => {
    const proc = child as ChildProcess | null;
    if (!proc || proc.exitCode !== null || !proc.pid) return;
    // start.js runs the server in a process group of its own, and the server
    // runs each kernel in a session of its own: a signal to start.js's group
    // reaches neither. So everything under start.js is found now, before any
    // of it is signalled and orphaned.
    const tree = descendants(proc.pid);
    const exited = new Promise<void>((ok) => proc.once('exit', () => ok()));
    proc.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((ok) => setTimeout(() => ok('timeout'), 10000));
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // A server slower than the wait, and anything it left running, ends
    // here: no run leaves a JupyterLab behind.
    await endProcesses(tree, 2000);
    // A process just sent SIGKILL is still tearing down for a moment (a
    // Python server with its threads): gone before the caller looks.
    const deadline = Date.now() + 5000;
    while (tree.some((pid) => alive(pid)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const url = await launch();
  return {
    url,
    root,
    output: () => log,
    restart: async () => {
      await halt();
      await launch();
    },
    stop: async () => {
      await halt();
      rmSync(root, { recursive: true, force: true });
    }
  };
}

/** The system Chromium; playwright gives each launch a fresh temporary profile. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** The structural bits of the JupyterLab app the tests read (window.jupyterapp). */
export interface LabLike {
  restored: Promise<void>;
  isPluginActivated(id: string): boolean;
  hasPlugin(id: string): boolean;
  commands: { execute(id: string, args?: object): Promise<unknown> };
  shell: { currentWidget: unknown };
}

/** The page's globals the tests read, typed structurally (this code compiles without the DOM lib). */
export interface ElementLike {
  textContent: string | null;
  querySelector(selector: string): ElementLike | null;
}
export interface PageGlobal {
  jupyterapp?: LabLike;
  document: {
    querySelector(selector: string): ElementLike | null;
    querySelectorAll(selector: string): ArrayLike<ElementLike>;
  };
}

/** Opens the page and waits until the app has restored its layout. Returns the time taken. */
export async function openLab(page: Page, url: string): Promise<number> {
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForFunction(
    () => {
      const g = globalThis as unknown as PageGlobal;
      return !!g.jupyterapp && !!g.document.querySelector('#jp-main-dock-panel');
    },
    null,
    { timeout: 120000 }
  );
  await page.evaluate(() => (globalThis as unknown as { jupyterapp: LabLike }).jupyterapp.restored);
  return Date.now() - t0;
}

/** The lab, browser and page one test file shares; reading one before useLab's beforeAll has run throws. */
export interface Lab {
  readonly server: LabServer;
  readonly browser: Browser;
  readonly page: Page;
}

export interface LabOptions {
  /** Which stock front end start.js serves: JupyterLab (default) or Notebook 7. */
  app?: 'lab' | 'notebook';
  /** The server's own settings on its command line (`--ServerApp.name=value`). */
  serverSettings?: string[];
  /** Runs once the page exists, before it opens the lab: listen to the page, write files under the lab's root. */
  beforeOpen?: (lab: Lab) => void | Promise<void>;
}

/**
 * Registers the file's beforeAll (start a lab with `env`, launch Chromium, open
 * the lab in a 1400x900 page) and afterAll (close the browser, stop the lab).
 * Jest runs each kind of hook in the order registered: a beforeAll registered
 * before this call runs before the lab starts, an afterAll after it runs once
 * the lab has stopped.
 */
export function useLab(env: NodeJS.ProcessEnv = {}, options: LabOptions = {}): Lab {
  let server: LabServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  const started = <T>(value: T | undefined, name: string): T => {
    if (value === undefined)
      throw new Error(`no ${name}: useLab's beforeAll has not run or failed`);
    return value;
  };
  const lab: Lab = {
    get server() {
      return started(server, 'server');
    },
    get browser() {
      return started(browser, 'browser');
    },
    get page() {
      return started(page, 'page');
    }
  };
  beforeAll(async () => {
    server = await startLab(env, undefined, options.app, options.serverSettings);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await options.beforeOpen?.(lab);
    if (options.app !== 'notebook') await openLab(page, server.url);
  });
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
  });
  return lab;
}

/** Runs a JupyterLab command in the page (window.jupyterapp) and waits for it to finish. */
export async function runCommand(page: Page, id: string, args?: object): Promise<void> {
  await page.evaluate(
    (call) =>
      (globalThis as unknown as { jupyterapp: LabLike }).jupyterapp.commands
        .execute(call.id, call.args)
        .then(() => undefined),
    { id, args }
  );
}

/** Saves a screenshot under test-results/ and rethrows, so a failure leaves a picture. */
export async function withScreenshot<T>(
  page: Page,
  name: string,
  body: () => Promise<T>
): Promise<T> {
  try {
    return await body();
  } catch (error) {
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, `${name}.png`) }).catch(() => undefined);
    throw error;
  }
}
