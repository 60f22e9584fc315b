import type { GpuProcess } from '../contract/gpu';
import { gib } from './format';
import type { GpuModel } from './model';

/**
 * The GPU panel's process table, in the model's order: a sidebar is too
 * narrow for six columns, so each process takes two lines; a header sorts by
 * its column; a notebook's name opens it.
 */
export class ProcessTable {
  readonly node: HTMLTableElement;

  constructor(options: ProcessTable.IOptions) {
    this._options = options;
    this.node = document.createElement('table');
    this.node.className = 'jp-WarrenGpu-processes';
  }

  /** Rebuilt only when what it shows changed, so a row under the pointer stays put. */
  render(): void {
    const processes = this._options.model.sortedProcesses(this._options.owner);
    const sort = this._options.model.processSort;
    const key = JSON.stringify([
      sort,
      processes.map((p) => [
        p.pid,
        p.gpuIndex,
        p.user,
        p.command,
        p.usedMemoryMiB,
        p.ownerKernelId && this._options.owner(p.ownerKernelId)
      ])
    ]);
    if (key === this._key) return;
    this._key = key;
    const table = this.node;
    table.replaceChildren();
    // A sidebar is too narrow for six columns: each process takes two lines,
    // pid, GPU, memory and notebook over user and command, and so do the headers.
    const thead = table.createTHead();
    const heads = [thead.insertRow(), thead.insertRow()];
    heads[1].className = 'jp-WarrenGpu-secondRow';
    for (const [column, label, line] of Private.COLUMNS) {
      const th = document.createElement('th');
      th.dataset.column = column;
      th.className = `jp-WarrenGpu-col-${column}`;
      if (column === 'command') th.colSpan = 3;
      const button = document.createElement('button');
      button.className = 'jp-WarrenGpu-sort';
      button.textContent = label;
      button.title = `Sort by ${label.toLowerCase()}`;
      if (sort.key === column) {
        th.setAttribute('aria-sort', sort.ascending ? 'ascending' : 'descending');
        button.textContent = `${label} ${sort.ascending ? '▲' : '▼'}`;
      }
      button.onclick = () => {
        this._options.model.sortProcessesBy(column);
        this._options.sorted();
      };
      th.appendChild(button);
      heads[line].appendChild(th);
    }
    const body = table.createTBody();
    if (processes.length === 0) {
      const cell = body.insertRow().insertCell();
      cell.colSpan = 4;
      cell.className = 'jp-WarrenGpu-empty';
      cell.textContent = 'No GPU processes';
      return;
    }
    for (const p of processes) this._rows(body, p);
  }

  private _rows(body: HTMLTableSectionElement, p: GpuProcess): void {
    const row = body.insertRow();
    row.dataset.pid = String(p.pid);
    const text = (value: string, title?: string) => {
      const cell = row.insertCell();
      cell.textContent = value;
      if (title) cell.title = title;
      return cell;
    };
    text(String(p.pid));
    text(p.gpuIndex === null ? '?' : String(p.gpuIndex), p.gpuUuid);
    text(p.usedMemoryMiB === null ? '–' : gib(p.usedMemoryMiB));
    const owner = row.insertCell();
    const kernelId = p.ownerKernelId;
    const label = kernelId ? this._options.owner(kernelId) : null;
    if (kernelId && label) {
      const link = document.createElement('a');
      link.className = 'jp-WarrenGpu-owner';
      link.textContent = label.split('/').pop() ?? label;
      link.title = `Open ${label}`;
      link.href = '#';
      link.onclick = (event) => {
        event.preventDefault();
        this._options.openOwner(kernelId);
      };
      owner.appendChild(link);
    } else {
      owner.textContent = kernelId ? `kernel ${kernelId.slice(0, 8)}` : '–';
    }
    const second = body.insertRow();
    second.className = 'jp-WarrenGpu-secondRow';
    second.dataset.commandOf = String(p.pid);
    const user = second.insertCell();
    user.className = 'jp-WarrenGpu-user';
    user.textContent = p.user ?? '–';
    user.title = p.user ?? '';
    const command = second.insertCell();
    command.colSpan = 3;
    command.className = 'jp-WarrenGpu-command';
    command.textContent = p.command ?? 'not visible here (another pid namespace?)';
    command.title = p.command ?? '';
  }

  private readonly _options: ProcessTable.IOptions;
  private _key = '';
}

export namespace ProcessTable {
  export interface IOptions {
    model: GpuModel;
    /** A notebook's path for a kernel id, or null if no session holds it. */
    owner: (kernelId: string) => string | null;
    openOwner: (kernelId: string) => void;
    /** The order changed (a header was clicked): the panel draws again. */
    sorted: () => void;
  }
}

namespace Private {
  /** Each column's header and on which of a process's two lines it sits. */
  export const COLUMNS: [GpuModel.ProcessColumn, string, 0 | 1][] = [
    ['pid', 'PID', 0],
    ['gpu', 'GPU', 0],
    ['memory', 'Memory', 0],
    ['notebook', 'Notebook', 0],
    ['user', 'User', 1],
    ['command', 'Command', 1]
  ];
}
