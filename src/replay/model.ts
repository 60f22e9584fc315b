import type { ICodeCellModel } from '@jupyterlab/cells';
import type { INotebookModel } from '@jupyterlab/notebook';
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import { JSONExt } from '@lumino/coreutils';
import type { JSONObject as LuminoJSONObject } from '@lumino/coreutils';
import { CommTargets } from '../contract';
import type { JournalExecution, JournalMessage, JournalReply } from '../contract/journal';
import { droppedNote, isJournalReply } from '../contract/journal';

type Outputs = ICodeCellModel['outputs'];
type Output = Parameters<Outputs['add']>[0];

/** One execution of another page (or of a page that was closed) shown in a cell of this one. */
interface Mirror {
  cell: ICodeCellModel;
  executionCount: number | null;
  /** Output index by display_id, for update_display_data (as JupyterLab's OutputArea keeps). */
  displays: Map<string, number[]>;
}

/**
 * Replays a warren kernel's execution journal into a notebook's cells: when
 * the page connects (open, reload, websocket reconnect) it asks the kernel for
 * the executions it has not seen and writes their outputs, execution counts
 * and running state into the cells with their cellId; then IOPub messages of
 * those still running stream into their cells. JupyterLab itself drops IOPub
 * whose parent it holds no future for, which is every message of a cell run
 * before the page was (re)loaded. Executions this page sent are left to
 * JupyterLab's own futures.
 */
export class ReplayModel {
  readonly kernel: Kernel.IKernelConnection;
  private readonly notebook: INotebookModel;
  private readonly options: ReplayModel.IOptions;
  private readonly own = new Set<string>();
  private readonly mirrors = new Map<string, Mirror>();
  private journal: string | undefined;
  private seq: number | undefined;
  private syncing: Promise<void> | null = null;
  private disposed = false;

  constructor(options: ReplayModel.IOptions) {
    this.options = options;
    this.kernel = options.kernel;
    this.notebook = options.notebook;
    this.kernel.anyMessage.connect(this.onAnyMessage, this);
    this.kernel.iopubMessage.connect(this.onIOPub, this);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Cells currently fed from the journal, by execute_request msg_id. */
  get mirrored(): string[] {
    return [...this.mirrors.keys()];
  }

  /** Asks the journal for what changed since the last answer and writes it into the cells. */
  sync(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    if (!this.syncing) {
      this.syncing = this.fetch().finally(() => (this.syncing = null));
    }
    return this.syncing;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.kernel.anyMessage.disconnect(this.onAnyMessage, this);
    this.kernel.iopubMessage.disconnect(this.onIOPub, this);
    for (const m of this.mirrors.values()) m.cell.executionState = 'idle';
    this.mirrors.clear();
  }

  private fetch(): Promise<void> {
    const comm = this.kernel.createComm(CommTargets.journal);
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        resolve();
        if (!comm.isDisposed) comm.dispose();
      }, this.options.timeoutMs ?? 30000);
      // Applied synchronously in onMsg: every IOPub message after the answer
      // is then new to it (one channel, one order), none before it is missed.
      comm.onMsg = (msg) => {
        clearTimeout(timer);
        const data: unknown = msg.content.data;
        if (isJournalReply(data) && !this.disposed) this.apply(data);
        resolve();
        comm.close();
      };
      comm.onClose = () => {
        clearTimeout(timer);
        resolve();
      };
      const limits = this.options.limits?.();
      comm.open({
        ...(this.journal !== undefined ? { journal: this.journal } : {}),
        ...(this.seq !== undefined ? { after: this.seq } : {}),
        ...(limits ? { limits } : {})
      });
    });
  }

  private apply(reply: JournalReply): void {
    if (reply.journal !== this.journal) {
      // Another kernel process: what was mirrored from the old one ended with it.
      for (const m of this.mirrors.values()) m.cell.executionState = 'idle';
      this.mirrors.clear();
    }
    this.journal = reply.journal;
    this.seq = reply.seq;
    let changed = false;
    for (const execution of reply.executions) {
      if (execution.cellId === null || this.own.has(execution.msgId)) continue;
      const cell = this.cellById(execution.cellId);
      if (!cell) continue;
      if (this.show(cell, execution)) changed = true;
    }
    if (changed) this.notebook.dirty = true;
  }

  /** Writes one execution into its cell; false when the cell already showed it. */
  private show(cell: ICodeCellModel, execution: JournalExecution): boolean {
    const running = execution.state !== 'done';
    if (!running) {
      // The saved file is newer than the execution: it holds it, or the user changed it since.
      const saved = this.options.savedAt?.() ?? null;
      if (saved !== null && execution.ended !== null && saved >= execution.ended) return false;
      // The page that ran it saved it; the journal may hold less of a flood than it showed.
      if (cell.executionCount === execution.executionCount && execution.dropped.bytes > 0) {
        return false;
      }
    }
    const before = { outputs: cell.outputs.toJSON(), count: cell.executionCount };
    const mirror: Mirror = { cell, executionCount: execution.executionCount, displays: new Map() };
    cell.outputs.clear();
    if (execution.dropped.bytes > 0) {
      cell.outputs.add({
        output_type: 'stream',
        name: 'stderr',
        text: droppedNote(execution.dropped)
      });
    }
    for (const message of execution.messages) this.write(mirror, message);
    if (running) {
      cell.executionCount = null;
      cell.executionState = 'running';
      this.mirrors.set(execution.msgId, mirror);
    } else {
      this.mirrors.delete(execution.msgId);
      cell.executionCount = execution.executionCount;
      cell.executionState = 'idle';
    }
    return (
      running ||
      before.count !== cell.executionCount ||
      !JSONExt.deepEqual(
        before.outputs as unknown as LuminoJSONObject[],
        cell.outputs.toJSON() as unknown as LuminoJSONObject[]
      )
    );
  }

  /** What JupyterLab's OutputArea does with one IOPub message of its own execution. */
  private write(mirror: Mirror, message: JournalMessage): void {
    const outputs = mirror.cell.outputs;
    const content = message.content;
    switch (message.msg_type) {
      case 'stream':
      case 'display_data':
      case 'execute_result':
      case 'error': {
        // add() answers the number of outputs, not the index of this one.
        outputs.add({ ...content, output_type: message.msg_type } as Output);
        const index = outputs.length - 1;
        const id = Private.displayId(content);
        if (id !== undefined && message.msg_type !== 'stream') {
          mirror.displays.set(id, [...(mirror.displays.get(id) ?? []), index]);
        }
        return;
      }
      case 'update_display_data': {
        const id = Private.displayId(content);
        for (const index of (id !== undefined && mirror.displays.get(id)) || []) {
          if (index >= outputs.length) continue;
          const old = outputs.get(index).toJSON();
          outputs.set(index, { ...content, output_type: old.output_type } as Output);
        }
        return;
      }
      case 'clear_output':
        outputs.clear(content.wait === true);
        mirror.displays.clear();
        return;
      case 'execute_input':
        if (typeof content.execution_count === 'number') {
          mirror.executionCount = content.execution_count;
        }
        return;
      default:
        return;
    }
  }

  private onAnyMessage(_: Kernel.IKernelConnection, args: Kernel.IAnyMessageArgs): void {
    const msg = args.msg;
    if (args.direction === 'send' && msg.header.msg_type === 'execute_request') {
      this.own.add(msg.header.msg_id);
    }
  }

  private onIOPub(_: Kernel.IKernelConnection, msg: KernelMessage.IIOPubMessage): void {
    const parent = (msg.parent_header as Partial<KernelMessage.IHeader>).msg_id;
    if (parent === undefined) return;
    const mirror = this.mirrors.get(parent);
    if (!mirror) return;
    if (mirror.cell.isDisposed) {
      this.mirrors.delete(parent);
      return;
    }
    const type = msg.header.msg_type;
    if (type === 'status') {
      if ((msg.content as { execution_state?: string }).execution_state === 'idle') {
        this.mirrors.delete(parent);
        mirror.cell.executionCount = mirror.executionCount;
        mirror.cell.executionState = 'idle';
        this.notebook.dirty = true;
      }
      return;
    }
    this.write(mirror, { msg_type: type, content: msg.content as JournalMessage['content'] });
    if (type !== 'execute_input') this.notebook.dirty = true;
  }

  private cellById(id: string): ICodeCellModel | null {
    for (const cell of this.notebook.cells) {
      if (cell.id === id) return cell.type === 'code' ? (cell as ICodeCellModel) : null;
    }
    return null;
  }
}

export namespace ReplayModel {
  export interface IOptions {
    kernel: Kernel.IKernelConnection;
    notebook: INotebookModel;
    /** When the notebook's file was last saved (ms since the epoch), if known. */
    savedAt?: () => number | null;
    /** The journal limits to ask the kernel for (megabytes). */
    limits?: () => { executionMB?: number; totalMB?: number } | null;
    /** How long to wait for the kernel's answer. */
    timeoutMs?: number;
  }
}

namespace Private {
  export function displayId(content: { [key: string]: unknown }): string | undefined {
    const transient = content.transient;
    if (typeof transient !== 'object' || transient === null) return undefined;
    const id = (transient as { display_id?: unknown }).display_id;
    return typeof id === 'string' ? id : undefined;
  }
}
