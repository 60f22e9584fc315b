import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import type { JSONObject } from '../../../src/contract';
import type { KernelClient } from '../../client/client';
import type { Message } from '../../protocol/message';
import type { KernelSpec } from './kernelspecs';
import { findKernelSpec } from './kernelspecs';
import type { Cell, CodeCell, Notebook } from './notebook';
import {
  appendOutput,
  isCodeCell,
  isObject,
  outputFromMessage,
  readNotebook,
  sourceOf,
  tagsOf,
  writeNotebookAtomic
} from './notebook';
import type { Parameters } from './params';
import { noParametersCellWarning, parameterCell } from './params';

/** How a run ended; anything but `ok` makes `warren run` exit non-zero. */
export type RunnerStatus = 'ok' | 'failed' | 'timeout' | 'cancelled' | 'dead';

export interface RunnerResult {
  status: RunnerStatus;
  /** Index (in the written notebook) of the cell that failed or was stopped. */
  cell: number | null;
  message: string;
  executed: number;
}

export type RunnerEvent =
  | { type: 'cell'; index: number; position: number; total: number }
  | { type: 'output'; index: number; output: JSONObject }
  | { type: 'done'; result: RunnerResult };

/**
 * Runs every code cell of a notebook with its kernel, as a frontend would,
 * writing outputs into the output notebook as they arrive. The output file is
 * rewritten atomically (temp file + rename) after each batch of outputs and at
 * each cell's end, so whatever stops the run, the finished cells are on disk.
 */
export class NotebookRunner {
  readonly notebook: Notebook;
  readonly spec: KernelSpec;
  /** What the run should tell its user before it runs (also written into the output notebook). */
  readonly warnings: string[] = [];
  private client: KernelClient | null = null;
  private stopping: RunnerStatus | null = null;
  private saveTimer: NodeJS.Timeout | null = null;
  private lastSave = { at: 0, ms: 0 };
  /**
   * The outputs shown under each display id, in every cell so far: a later
   * cell's update_display_data updates an earlier cell's output, as in
   * JupyterLab and nbclient.
   */
  private readonly displays = new Map<string, Set<JSONObject>>();
  private readonly displayIds = new WeakMap<JSONObject, string>();
  private readonly options: NotebookRunner.IOptions;

  constructor(options: NotebookRunner.IOptions) {
    this.options = options;
    this.notebook = readNotebook(options.input);
    const ks = isObject(this.notebook.metadata.kernelspec) ? this.notebook.metadata.kernelspec : {};
    const name = options.kernel ?? (typeof ks.name === 'string' ? ks.name : '');
    if (!name)
      throw new Error(
        `${options.input} names no kernel (metadata.kernelspec.name); pass --kernel NAME`
      );
    this.spec = findKernelSpec(name);
    this.inject(options.parameters ?? {});
  }

  /** Stops the run: interrupts the running cell and runs no more. */
  async cancel(status: 'cancelled' | 'timeout' = 'cancelled'): Promise<void> {
    if (this.stopping) return;
    this.stopping = status;
    await this.interrupt();
  }

  async run(): Promise<RunnerResult> {
    const nb = this.notebook;
    const meta: JSONObject = {
      status: 'running',
      started: new Date().toISOString(),
      kernel: this.spec.name
    };
    if (Object.keys(this.options.parameters ?? {}).length)
      // Through JSON: a number keeps its value, an integer a double cannot hold its digits.
      meta.parameters = JSON.parse(JSON.stringify(this.options.parameters)) as JSONObject;
    if (this.warnings.length) meta.warnings = [...this.warnings];
    nb.metadata.warren = meta;
    for (const cell of nb.cells) {
      if (!isCodeCell(cell)) continue;
      cell.outputs = [];
      cell.execution_count = null;
    }
    this.save();
    let result: RunnerResult;
    try {
      result = await this.execute();
    } catch (error) {
      result = {
        status: 'dead',
        cell: null,
        message: error instanceof Error ? error.message : String(error),
        executed: 0
      };
    }
    if (this.saveTimer) clearTimeout(this.saveTimer);
    meta.status = result.status;
    meta.ended = new Date().toISOString();
    meta.message = result.message;
    if (result.cell !== null) meta.cell = result.cell;
    this.save();
    const client = this.client;
    this.client = null;
    if (client) await client.shutdown().catch(() => client.kill());
    this.options.onEvent?.({ type: 'done', result });
    return result;
  }

  private async execute(): Promise<RunnerResult> {
    const cwd = this.options.cwd ?? dirname(resolve(this.options.input));
    // Loaded when a notebook runs: a kernel that never runs one (the cell API
    // holds a runner) keeps ZeroMQ's JavaScript off its main thread.
    const { KernelClient } = await import('../../client/client');
    this.client = await KernelClient.launch(this.spec.argv, {
      // A runner killed outright (timeout's -k, an OOM killer) takes its
      // kernel with it: warren's supervisor ends with its parent, rather than
      // keep a kernel, and its GPU work, running on a host that nothing watches.
      env: { ...this.spec.env, WARREN_SUPERVISOR_WATCH_PARENT: '1' },
      cwd,
      timeoutMs: 60000,
      keepIopubLog: false
    });
    const client = this.client;
    const dead = client.exited.then((code) => ({
      dead: true as const,
      how: client.exitSignal ? `was killed by ${client.exitSignal}` : `exited with code ${code}`
    }));
    const code = this.notebook.cells
      .map((cell, index) => ({ cell, index }))
      .filter(
        (c): c is { cell: CodeCell; index: number } =>
          isCodeCell(c.cell) && sourceOf(c.cell).trim() !== ''
      );
    let executed = 0;
    for (const [position, { cell, index }] of code.entries()) {
      if (this.stopping)
        return {
          status: this.stopping,
          cell: index,
          message: `stopped before cell ${index}`,
          executed
        };
      this.options.onEvent?.({ type: 'cell', index, position, total: code.length });
      const outcome = await Promise.race([this.cell(client, cell, index), dead]);
      executed++;
      // What the kernel sent before it died may be read after its exit is seen.
      if ('dead' in outcome) await Private.drain(client);
      // Soon, not now: the run's end saves at once, and a notebook of large
      // outputs is not rewritten after every one of many short cells.
      this.saveSoon();
      if ('dead' in outcome)
        return {
          status: this.stopping ?? 'dead',
          cell: index,
          message: `the kernel ${outcome.how} during cell ${index}`,
          executed
        };
      // warren's supervisor answers the cell its kernel died in with this
      // error (kernel/io/afterlife.ts) and starts another, state lost: the run
      // cannot go on, whatever the cell's tags.
      if (outcome.ename === 'DeadKernelError')
        return {
          status: this.stopping ?? 'dead',
          cell: index,
          message: `the kernel died during cell ${index}${Private.deathReason(outcome.evalue)}`,
          executed
        };
      if (this.stopping)
        return {
          status: this.stopping,
          cell: index,
          message: `${this.stopping} during cell ${index}`,
          executed
        };
      // A cell tagged raises-exception is expected to fail (nbclient and papermill go on past it).
      if (outcome.status !== 'ok' && !tagsOf(cell).includes('raises-exception'))
        return {
          status: 'failed',
          cell: index,
          message: `cell ${index} failed: ${outcome.message}`,
          executed
        };
    }
    return { status: 'ok', cell: null, message: `${executed} cells executed`, executed };
  }

  private async cell(
    client: KernelClient,
    cell: CodeCell,
    index: number
  ): Promise<{ status: string; message: string; ename: string; evalue: string }> {
    let clearPending = false;
    let msgId = '';
    let idle!: () => void;
    const idled = new Promise<void>((r) => (idle = r));
    const started = new Date().toISOString();
    client.onIopub = (m: Message) => {
      if (m.parent_header.msg_id !== msgId) return;
      const type = m.header.msg_type;
      if (type === 'status' && m.content.execution_state === 'idle') return idle();
      if (type === 'execute_input' && typeof m.content.execution_count === 'number')
        cell.execution_count = m.content.execution_count;
      if (type === 'clear_output') {
        if (m.content.wait === true) clearPending = true;
        else cell.outputs = this.cleared(cell.outputs);
        this.saveSoon();
        return;
      }
      const transient = isObject(m.content.transient) ? m.content.transient : {};
      const displayId = typeof transient.display_id === 'string' ? transient.display_id : null;
      if (type === 'update_display_data') {
        if (displayId) this.updateDisplay(displayId, m.content);
        this.saveSoon();
        return;
      }
      const output = outputFromMessage(type, m.content);
      if (!output) return;
      if (clearPending) {
        cell.outputs = this.cleared(cell.outputs);
        clearPending = false;
      }
      if (displayId) {
        // Shown again under its id, a display updates its earlier outputs too.
        this.updateDisplay(displayId, m.content);
        const shown = this.displays.get(displayId) ?? new Set<JSONObject>();
        this.displays.set(displayId, shown.add(output));
        this.displayIds.set(output, displayId);
      }
      appendOutput(cell.outputs, output);
      this.options.onEvent?.({ type: 'output', index, output });
      this.saveSoon();
    };
    const request = client.request('shell', 'execute_request', {
      code: sourceOf(cell),
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: !tagsOf(cell).includes('raises-exception')
    });
    msgId = request.msgId;
    let timer: NodeJS.Timeout | undefined;
    const timeoutS = this.options.timeoutS;
    if (timeoutS && timeoutS > 0) {
      timer = setTimeout(() => {
        appendOutput(cell.outputs, {
          output_type: 'stream',
          name: 'stderr',
          text: `warren run: cell timed out after ${timeoutS} s\n`
        });
        void this.cancel('timeout');
      }, timeoutS * 1000);
    }
    try {
      const reply = await request.reply;
      // The reply can overtake the last outputs: they are published before idle.
      await Promise.race([idled, new Promise((r) => setTimeout(r, 2000))]);
      const status = String(reply.content.status ?? 'error');
      const ename = String(reply.content.ename ?? '');
      const evalue = String(reply.content.evalue ?? '');
      cell.metadata.execution = {
        'shell.execute_request': started,
        'shell.execute_reply': new Date().toISOString()
      };
      return { status, message: ename ? `${ename}: ${evalue}` : status, ename, evalue };
    } finally {
      if (timer) clearTimeout(timer);
      client.onIopub = null;
    }
  }

  private updateDisplay(displayId: string, content: JSONObject): void {
    for (const o of this.displays.get(displayId) ?? []) {
      o.data = content.data ?? {};
      o.metadata = content.metadata ?? {};
    }
  }

  /** A cell's outputs once cleared: none, and their display ids no longer point at them. */
  private cleared(outputs: JSONObject[]): JSONObject[] {
    for (const o of outputs) {
      const id = this.displayIds.get(o);
      if (id) this.displays.get(id)?.delete(o);
    }
    return [];
  }

  private async interrupt(): Promise<void> {
    const client = this.client;
    if (!client) return;
    if (this.spec.interruptMode === 'message') {
      client.request('control', 'interrupt_request', {});
    } else {
      client.kill('SIGINT');
    }
    // A kernel that ignores the interrupt is killed: the run must end.
    const t = setTimeout(() => client.kill('SIGKILL'), this.options.interruptGraceMs ?? 10000);
    t.unref();
  }

  private inject(params: Parameters): void {
    const cells = this.notebook.cells;
    const old = cells.findIndex((c) => tagsOf(c).includes('injected-parameters'));
    if (old >= 0) cells.splice(old, 1);
    const oldWarning = cells.findIndex((c) => tagsOf(c).includes('warren-parameters-warning'));
    if (oldWarning >= 0) cells.splice(oldWarning, 1);
    if (Object.keys(params).length === 0) return;
    const li = isObject(this.notebook.metadata.language_info)
      ? this.notebook.metadata.language_info
      : {};
    const language = typeof li.name === 'string' ? li.name : this.spec.language;
    const source = parameterCell(language, params);
    if (source === null)
      throw new Error(`cannot write parameters in ${language || 'an unknown language'}`);
    const at = cells.findIndex((c) => tagsOf(c).includes('parameters'));
    const cell: CodeCell = {
      cell_type: 'code',
      source,
      metadata: { tags: ['injected-parameters'] },
      outputs: [],
      execution_count: null
    };
    // nbformat 4.5 requires cell ids.
    const withIds = cells.some((c) => typeof c.id === 'string');
    if (withIds) cell.id = randomUUID().slice(0, 8);
    cells.splice(at + 1, 0, cell);
    if (at < 0) {
      const warning = noParametersCellWarning(Object.keys(params));
      this.warnings.push(warning);
      // The output notebook says it too, above the cell it is about.
      const note: Cell = {
        cell_type: 'markdown',
        source: `**Warning:** ${warning.replace(/^warren: /, '')}`,
        metadata: { tags: ['warren-parameters-warning'] }
      };
      if (withIds) note.id = randomUUID().slice(0, 8);
      cells.splice(0, 0, note);
    }
  }

  /**
   * Saves after the interval, or later where saves are costly: a save
   * rewrites the whole notebook (30 MB of outputs: 0.3-0.5 s, the event loop
   * held), so the next one waits ten times what the last took, and saving
   * takes at most a tenth of the run.
   */
  private saveSoon(): void {
    if (this.saveTimer) return;
    const due = this.lastSave.at + 10 * this.lastSave.ms - Date.now();
    this.saveTimer = setTimeout(
      () => {
        this.saveTimer = null;
        this.save();
      },
      Math.max(this.options.saveIntervalMs ?? 50, due)
    );
  }

  private save(): void {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
    }
    const t0 = performance.now();
    writeNotebookAtomic(this.options.output, this.notebook);
    this.lastSave = { at: Date.now(), ms: performance.now() - t0 };
  }
}

export namespace NotebookRunner {
  export interface IOptions {
    input: string;
    output: string;
    parameters?: Parameters;
    /** Per cell, in seconds. */
    timeoutS?: number;
    kernel?: string;
    cwd?: string;
    saveIntervalMs?: number;
    interruptGraceMs?: number;
    onEvent?: (event: RunnerEvent) => void;
  }
}

namespace Private {
  /**
   * Waits until iopub has been quiet for 100 ms (at most 1 s): the messages a
   * kernel sent just before it died can still be in the socket when its exit
   * is seen.
   */
  export async function drain(client: KernelClient): Promise<void> {
    const deadline = Date.now() + 1000;
    let seen = -1;
    while (client.iopubCount !== seen && Date.now() < deadline) {
      seen = client.iopubCount;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** `: why`, from the DeadKernelError's "the kernel died (why). A new kernel…". */
  export function deathReason(evalue: string): string {
    const why = /\((.*)\)\. /.exec(evalue)?.[1];
    return why ? `: ${why}` : '';
  }
}
