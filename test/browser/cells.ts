/**
 * A notebook's cells as the page's model holds them, for the browser tests
 * that run cells and read what they show (JupyterLab and Notebook 7 alike:
 * both expose the app as window.jupyterapp with --expose-app).
 */
import type { Page } from 'playwright-core';
import type { LabLike } from './harness';
import { runCommand } from './harness';

export interface CellState {
  text: string;
  /** The text/plain of each display_data output. */
  displays: string[];
  count: number | null;
  state: string;
  prompt: string;
  outputs: number;
  dirty: boolean;
}

/** The cell as the page's model holds it: its stream text, count, running state and prompt. */
export async function cellState(page: Page, index: number): Promise<CellState | null> {
  return page.evaluate((i) => {
    type Output = {
      output_type: string;
      text?: string | string[];
      data?: { 'text/plain'?: string | string[] };
    };
    type CellModel = {
      outputs: { toJSON(): Output[]; length: number };
      executionCount: number | null;
      executionState?: string;
    };
    const app = (globalThis as unknown as { jupyterapp: LabLike }).jupyterapp;
    const panel = app.shell.currentWidget as {
      content?: { model?: { dirty: boolean; cells: { get(i: number): CellModel } } };
      node?: { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> };
    } | null;
    const model = panel?.content?.model;
    if (!model || !panel.node) return null;
    const cell = model.cells.get(i);
    const text = cell.outputs
      .toJSON()
      .filter((o) => o.output_type === 'stream')
      .map((o) => (Array.isArray(o.text) ? o.text.join('') : (o.text ?? '')))
      .join('');
    const prompts = panel.node.querySelectorAll('.jp-Cell .jp-InputPrompt');
    const displays = cell.outputs
      .toJSON()
      .filter((o) => o.output_type === 'display_data')
      .map((o) => [o.data?.['text/plain'] ?? ''].flat().join(''));
    return {
      text,
      displays,
      count: cell.executionCount,
      state: cell.executionState ?? '',
      prompt: (prompts[i]?.textContent ?? '').trim(),
      outputs: cell.outputs.length,
      dirty: model.dirty
    };
  }, index);
}

/**
 * A warren notebook (nbformat 4.5) as the text of its .ipynb file: a code
 * cell for each source, with its id when one is given.
 */
export function warrenNotebook(cells: { id?: string; source: string }[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'warren', display_name: 'TypeScript (warren)', language: 'typescript' }
    },
    cells: cells.map(({ id, source }) => ({
      cell_type: 'code',
      ...(id !== undefined ? { id } : {}),
      metadata: {},
      execution_count: null,
      outputs: [],
      source
    }))
  });
}

export async function until<T>(
  page: Page,
  index: number,
  check: (s: CellState) => T | false,
  timeoutMs = 60000
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: CellState | null = null;
  for (;;) {
    last = await cellState(page, index);
    const value = last && check(last);
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`cell ${index} never met the condition; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Opens a notebook in this Lab page and waits for its kernel to be connected. */
export async function openNotebook(page: Page, path: string): Promise<void> {
  await runCommand(page, 'docmanager:open', { path });
  await waitForKernel(page);
}

/** Opens a notebook in a Notebook 7 page (`treeUrl`: the server's /tree) and waits for its kernel. */
export async function openNotebook7(
  page: Page,
  treeUrl: string,
  path: string,
  kernelName?: string
): Promise<void> {
  await page.goto(treeUrl.replace(/\/tree$/, `/notebooks/${path}`));
  await waitForKernel(page, kernelName);
}

/** Waits until the current notebook's kernel (named `name`, when given) is connected. */
export async function waitForKernel(page: Page, name?: string): Promise<void> {
  await page.waitForFunction(
    (name) => {
      const app = (globalThis as unknown as { jupyterapp?: LabLike }).jupyterapp;
      if (!app) return false;
      const kernel = (
        app.shell.currentWidget as {
          sessionContext?: {
            session?: { kernel?: { connectionStatus: string; name: string } | null } | null;
          };
        } | null
      )?.sessionContext?.session?.kernel;
      return kernel?.connectionStatus === 'connected' && (name === null || kernel.name === name);
    },
    name ?? null,
    { timeout: 120000, polling: 200 }
  );
}

/** Waits until the current notebook's kernel is idle: a fresh kernel has finished starting. */
export async function waitForIdle(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const app = (globalThis as unknown as { jupyterapp?: LabLike }).jupyterapp;
      const kernel = (
        app?.shell.currentWidget as {
          sessionContext?: { session?: { kernel?: { status: string } | null } | null };
        } | null
      )?.sessionContext?.session?.kernel;
      return kernel?.status === 'idle';
    },
    null,
    { timeout: 120000, polling: 200 }
  );
}

/** Runs a cell without waiting for it: notebook:run-cell resolves only once the cell ends. */
export async function runCell(page: Page, index: number): Promise<void> {
  await page.evaluate((i) => {
    const app = (globalThis as unknown as { jupyterapp: LabLike }).jupyterapp;
    (app.shell.currentWidget as { content: { activeCellIndex: number } }).content.activeCellIndex =
      i;
    void app.commands.execute('notebook:run-cell');
  }, index);
}

/** Drops and reopens the page's websocket to the kernel, as a network blip does. */
export async function reconnect(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const app = (globalThis as unknown as { jupyterapp: LabLike }).jupyterapp;
    const kernel = (
      app.shell.currentWidget as {
        sessionContext: { session: { kernel: { reconnect(): Promise<void> } } };
      }
    ).sessionContext.session.kernel;
    await kernel.reconnect();
  });
}
