import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import type { GpuInfo, GpuProcess, GpuSnapshot } from '../contract/gpu';
import type { ServicesStatus } from '../tokens';
import { TimeChart } from './chart';
import type { GpuModel } from './model';

/**
 * The GPU sidebar: a status line; a card per GPU with its MIG slices and two
 * charts (utilisation and memory; power and temperature); the host's CPU and
 * memory chart; the process table, sortable by any column. It redraws only
 * while visible; hidden, it keeps nothing but the model's history, and
 * catches up when shown.
 */
export class GpuPanel extends Widget {
  constructor(options: GpuPanel.IOptions) {
    super();
    this._model = options.model;
    this._owner = options.owner;
    this._openOwner = options.openOwner;
    this.addClass('jp-WarrenGpu');
    this._status = document.createElement('div');
    this._status.className = 'jp-WarrenGpu-status';
    this._cards = document.createElement('div');
    this._cards.className = 'jp-WarrenGpu-cards';
    this._host = document.createElement('div');
    this._host.className = 'jp-WarrenGpu-host';
    const hostTitle = document.createElement('h3');
    hostTitle.className = 'jp-WarrenGpu-heading';
    hostTitle.textContent = 'Host';
    this._hostFacts = document.createElement('div');
    this._hostFacts.className = 'jp-WarrenGpu-facts';
    this._host.append(hostTitle, this._hostFacts);
    const heading = document.createElement('h3');
    heading.className = 'jp-WarrenGpu-heading';
    heading.textContent = 'Processes';
    this._processes = document.createElement('table');
    this._processes.className = 'jp-WarrenGpu-processes';
    this.node.append(this._status, this._cards, this._host, heading, this._processes);
    this.setServicesStatus('idle', null);
  }

  get model(): GpuModel {
    return this._model;
  }

  /** Shows where the services kernel stands (waiting, dead, reconnecting). */
  setServicesStatus(status: ServicesStatus, message: string | null): void {
    this._servicesStatus = status;
    this._servicesMessage = message;
    this._renderStatus();
  }

  /** Draws the model's latest state if visible; cheap when nothing changed. */
  refresh(): void {
    if (!this.isVisible) return;
    if (this._drawn === this._model.version) return;
    this._drawn = this._model.version;
    const started = performance.now();
    const snapshot = this._model.snapshot;
    this._renderStatus();
    if (!snapshot) return;
    this._renderCards();
    this._renderHost(snapshot);
    this._renderProcesses();
    // bench/lab-load.ts samples this: one update's main-thread time.
    this.node.dataset.updateMs = (performance.now() - started).toFixed(3);
  }

  /** Charts resolve the theme's colours when made: make them again after a theme change. */
  themeChanged(): void {
    for (const card of this._cardsByUuid.values()) {
      for (const chart of card.charts) chart.dispose();
      card.node.remove();
    }
    this._cardsByUuid.clear();
    this._hostChart?.dispose();
    this._hostChart = null;
    this._drawn = -1;
    this.refresh();
  }

  /** Scrolls a GPU's card into view and marks it for a moment (the status item was clicked). */
  reveal(uuid: string): void {
    const card = this._cardsByUuid.get(uuid);
    if (!card) return;
    for (const other of this._cardsByUuid.values())
      other.node.classList.toggle('jp-mod-selected', other === card);
    card.node.scrollIntoView({ block: 'nearest' });
  }

  override dispose(): void {
    if (this.isDisposed) return;
    for (const card of this._cardsByUuid.values()) for (const chart of card.charts) chart.dispose();
    this._cardsByUuid.clear();
    this._hostChart?.dispose();
    super.dispose();
  }

  protected override onAfterShow(_msg: Message): void {
    this._drawn = -1;
    this.refresh();
  }

  protected override onResize(_msg: Message): void {
    const width = this._chartWidth();
    if (width === this._width) return;
    this._width = width;
    for (const card of this._cardsByUuid.values())
      for (const chart of card.charts) chart.setWidth(width);
    this._hostChart?.setWidth(width);
  }

  private _renderStatus(): void {
    const s = this._model.snapshot;
    const el = this._status;
    el.classList.remove('jp-mod-error', 'jp-mod-waiting');
    let text: string;
    if (this._servicesStatus !== 'connected') {
      el.classList.add(this._servicesStatus === 'dead' ? 'jp-mod-error' : 'jp-mod-waiting');
      text = Private.servicesText(this._servicesStatus, this._servicesMessage);
    } else if (!s) {
      el.classList.add('jp-mod-waiting');
      text = 'Waiting for the first GPU sample…';
    } else if (s.state !== 'ok') {
      el.classList.add('jp-mod-error');
      text = Private.stateText(s);
    } else {
      const shown = s.allocation === 'all' ? '' : ` (allocation from ${s.allocation})`;
      text = `${s.gpus.length} GPU${s.gpus.length === 1 ? '' : 's'} via ${s.source ?? 'unknown'}${shown}`;
    }
    el.dataset.state =
      this._servicesStatus === 'connected' ? (s?.state ?? 'waiting') : this._servicesStatus;
    if (el.textContent !== text) el.textContent = text;
  }

  private _renderCards(): void {
    const gpus = this._model.sortedGpus();
    const keep = new Set(gpus.map((g) => g.uuid));
    for (const [uuid, card] of this._cardsByUuid) {
      if (keep.has(uuid)) continue;
      for (const chart of card.charts) chart.dispose();
      card.node.remove();
      this._cardsByUuid.delete(uuid);
    }
    gpus.forEach((gpu, i) => {
      let card = this._cardsByUuid.get(gpu.uuid);
      if (!card) {
        card = this._createCard(gpu);
        this._cardsByUuid.set(gpu.uuid, card);
      }
      if (this._cards.children[i] !== card.node)
        this._cards.insertBefore(card.node, this._cards.children[i] ?? null);
      card.node.classList.toggle('jp-mod-unallocated', !gpu.allocated);
      Private.fillFacts(card.facts, gpu);
      Private.fillMig(card.mig, gpu);
      const h = this._model.history(gpu.uuid);
      card.series = h;
      card.charts[0].setData([h.time, h.util, h.memory]);
      card.charts[1].setData([h.time, h.power, h.temperature]);
    });
  }

  private _createCard(gpu: GpuInfo): Private.ICard {
    const node = document.createElement('div');
    node.className = 'jp-WarrenGpu-card';
    node.dataset.uuid = gpu.uuid;
    const title = document.createElement('div');
    title.className = 'jp-WarrenGpu-cardTitle';
    title.textContent = `GPU ${gpu.index}: ${gpu.name}`;
    title.title = `${gpu.name}\n${gpu.uuid}${gpu.busId ? `\nPCI ${gpu.busId}` : ''}`;
    const facts = document.createElement('div');
    facts.className = 'jp-WarrenGpu-facts';
    const mig = document.createElement('ul');
    mig.className = 'jp-WarrenGpu-mig';
    node.append(title, facts, mig);
    const card: Private.ICard = {
      node,
      facts,
      mig,
      charts: [],
      series: this._model.history(gpu.uuid)
    };
    const width = this._chartWidth();
    const memoryAt = (idx: number | null) =>
      idx === null ? null : (card.series.memoryMiB[idx] ?? null);
    card.charts.push(
      new TimeChart({
        name: 'use',
        title: 'Utilisation and memory',
        width,
        height: CHART_HEIGHT,
        themeNode: this.node,
        scales: [{ key: '%', unit: '%', range: [0, 100] }],
        series: [
          {
            label: 'GPU',
            scale: '%',
            colour: ['--jp-brand-color1', '#1976d2'],
            format: (v) => `${v.toFixed(0)}%`
          },
          {
            label: 'Memory',
            scale: '%',
            colour: ['--jp-warn-color1', '#f57c00'],
            format: (v, idx) => {
              const mib = memoryAt(idx);
              return mib === null ? `${v.toFixed(1)}%` : `${Private.gib(mib)} (${v.toFixed(1)}%)`;
            }
          }
        ]
      }),
      new TimeChart({
        name: 'power',
        title: 'Power and temperature',
        width,
        height: CHART_HEIGHT,
        themeNode: this.node,
        scales: [
          { key: 'W', unit: ' W' },
          { key: 'C', unit: '°C' }
        ],
        series: [
          {
            label: 'Power',
            scale: 'W',
            colour: ['--jp-accent-color1', '#388e3c'],
            format: (v) =>
              gpu.powerLimitW
                ? `${v.toFixed(0)} of ${gpu.powerLimitW.toFixed(0)} W`
                : `${v.toFixed(0)} W`
          },
          {
            label: 'Temperature',
            scale: 'C',
            colour: ['--jp-error-color1', '#d32f2f'],
            format: (v) => `${v.toFixed(0)} °C`
          }
        ]
      })
    );
    for (const chart of card.charts) node.appendChild(chart.node);
    return card;
  }

  private _renderHost(snapshot: GpuSnapshot): void {
    const h = snapshot.host;
    const parts: string[] = [];
    if (h.cpuPercent !== null)
      parts.push(
        `CPU ${h.cpuPercent.toFixed(0)}% of ${h.cpuCount} core${h.cpuCount === 1 ? '' : 's'}`
      );
    if (h.memTotalBytes !== null && h.memAvailableBytes !== null)
      parts.push(
        `RAM ${Private.gib((h.memTotalBytes - h.memAvailableBytes) / MIB, false)}/${Private.gib(h.memTotalBytes / MIB)}`
      );
    if (h.diskTotalBytes !== null && h.diskFreeBytes !== null)
      parts.push(
        `Disk ${Private.gib((h.diskTotalBytes - h.diskFreeBytes) / MIB, false)}/${Private.gib(h.diskTotalBytes / MIB)}`
      );
    const text = parts.join(' · ');
    if (this._hostFacts.textContent !== text) this._hostFacts.textContent = text;
    this._hostFacts.title = `Disk: ${h.diskPath}`;
    const series = this._model.hostHistory;
    if (!this._hostChart) {
      this._hostChart = new TimeChart({
        name: 'host',
        title: 'Host CPU and memory',
        width: this._chartWidth(),
        height: CHART_HEIGHT,
        themeNode: this.node,
        scales: [{ key: '%', unit: '%', range: [0, 100] }],
        series: [
          {
            label: 'CPU',
            scale: '%',
            colour: ['--jp-brand-color1', '#1976d2'],
            format: (v) => `${v.toFixed(0)}%`
          },
          {
            label: 'Memory',
            scale: '%',
            colour: ['--jp-warn-color1', '#f57c00'],
            format: (v, idx) => {
              const bytes =
                idx === null ? null : (this._model.hostHistory.memoryBytes[idx] ?? null);
              return bytes === null
                ? `${v.toFixed(0)}%`
                : `${Private.gib(bytes / MIB)} (${v.toFixed(0)}%)`;
            }
          }
        ]
      });
      this._host.appendChild(this._hostChart.node);
    }
    this._hostChart.setData([series.time, series.cpu, series.memory]);
  }

  private _renderProcesses(): void {
    const processes = this._model.sortedProcesses(this._owner);
    const sort = this._model.processSort;
    // Rebuilt only when what it shows changed, so a row under the pointer stays put.
    const key = JSON.stringify([
      sort,
      processes.map((p) => [
        p.pid,
        p.gpuIndex,
        p.user,
        p.command,
        p.usedMemoryMiB,
        p.ownerKernelId && this._owner(p.ownerKernelId)
      ])
    ]);
    if (key === this._processesKey) return;
    this._processesKey = key;
    const table = this._processes;
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
        this._model.sortProcessesBy(column);
        this.refresh();
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
    for (const p of processes) this._processRows(body, p);
  }

  private _processRows(body: HTMLTableSectionElement, p: GpuProcess): void {
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
    text(p.usedMemoryMiB === null ? '–' : Private.gib(p.usedMemoryMiB));
    const owner = row.insertCell();
    const kernelId = p.ownerKernelId;
    const label = kernelId ? this._owner(kernelId) : null;
    if (kernelId && label) {
      const link = document.createElement('a');
      link.className = 'jp-WarrenGpu-owner';
      link.textContent = label.split('/').pop() ?? label;
      link.title = `Open ${label}`;
      link.href = '#';
      link.onclick = (event) => {
        event.preventDefault();
        this._openOwner(kernelId);
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

  private _chartWidth(): number {
    return Math.max(180, (this.node.clientWidth || 300) - 26);
  }

  private readonly _model: GpuModel;
  private readonly _owner: (kernelId: string) => string | null;
  private readonly _openOwner: (kernelId: string) => void;
  private readonly _status: HTMLDivElement;
  private readonly _cards: HTMLDivElement;
  private readonly _host: HTMLDivElement;
  private readonly _hostFacts: HTMLDivElement;
  private readonly _processes: HTMLTableElement;
  private readonly _cardsByUuid = new Map<string, Private.ICard>();
  private _hostChart: TimeChart | null = null;
  private _processesKey = '';
  private _width = 0;
  private _servicesStatus: ServicesStatus = 'idle';
  private _servicesMessage: string | null = null;
  private _drawn = -1;
}

export namespace GpuPanel {
  export interface IOptions {
    model: GpuModel;
    /** A notebook's path for a kernel id, or null if no session holds it. */
    owner: (kernelId: string) => string | null;
    openOwner: (kernelId: string) => void;
  }
}

/**
 * The status bar item: the utilisation and memory of one GPU, named; a click
 * moves it to the next GPU (the plugin also shows that GPU in the panel).
 */
export class GpuStatusItem extends Widget {
  constructor(model: GpuModel) {
    super();
    this._model = model;
    this.addClass('jp-WarrenGpuStatus');
    this.node.title = 'GPU utilisation and memory (warren)';
    this.refresh();
  }

  refresh(): void {
    const gpu = this._model.statusGpu();
    const snapshot = this._model.snapshot;
    let text: string;
    let title = 'GPU utilisation and memory (warren)';
    if (gpu && snapshot?.state === 'ok') {
      const util = gpu.utilizationGpu === null ? '–' : `${gpu.utilizationGpu.toFixed(0)}%`;
      const mem =
        gpu.memoryUsedMiB === null || gpu.memoryTotalMiB === null
          ? '–'
          : `${Private.gib(gpu.memoryUsedMiB, false)}/${Private.gib(gpu.memoryTotalMiB)}`;
      text = `GPU ${util} · ${mem} · #${gpu.index} ${Private.shortName(gpu.name)}`;
      const count = snapshot.gpus.length;
      title =
        `GPU ${gpu.index}: ${gpu.name}: utilisation ${util}, memory ${mem}` +
        (count > 1 ? `\nClick for the next of ${count} GPUs` : '\nClick to show the GPU panel');
      this.node.dataset.uuid = gpu.uuid;
    } else if (snapshot && snapshot.state !== 'ok') {
      text = snapshot.state === 'no-gpu' ? 'GPU: none' : `GPU: ${snapshot.state}`;
    } else {
      text = 'GPU: …';
    }
    if (this.node.textContent !== text) this.node.textContent = text;
    if (this.node.title !== title) this.node.title = title;
  }

  private readonly _model: GpuModel;
}

const CHART_HEIGHT = 130;
const MIB = 1024 * 1024;

namespace Private {
  export interface ICard {
    node: HTMLDivElement;
    facts: HTMLDivElement;
    mig: HTMLUListElement;
    charts: TimeChart[];
    series: GpuModel.IGpuSeries;
  }

  /** Each column's header and on which of a process's two lines it sits. */
  export const COLUMNS: [GpuModel.ProcessColumn, string, 0 | 1][] = [
    ['pid', 'PID', 0],
    ['gpu', 'GPU', 0],
    ['memory', 'Memory', 0],
    ['notebook', 'Notebook', 0],
    ['user', 'User', 1],
    ['command', 'Command', 1]
  ];

  /** "NVIDIA H100 80GB HBM3" is "H100 80GB HBM3" in the status bar. */
  export function shortName(name: string): string {
    return name.replace(/^(NVIDIA|AMD)\s+/i, '');
  }

  /** MIG slices as nvidia-smi -L lists them under their GPU. */
  export function fillMig(el: HTMLUListElement, gpu: GpuInfo): void {
    const key = gpu.migDevices.map((m) => m.uuid).join(',');
    if (el.dataset.key === key) return;
    el.dataset.key = key;
    el.replaceChildren();
    el.hidden = gpu.migDevices.length === 0;
    for (const m of gpu.migDevices) {
      const li = document.createElement('li');
      li.className = 'jp-WarrenGpu-migDevice';
      li.textContent = `MIG ${m.name} · device ${m.index}`;
      li.title = m.uuid;
      el.appendChild(li);
    }
  }

  export function gib(mib: number, unit = true): string {
    const g = mib / 1024;
    const text = g >= 100 ? g.toFixed(0) : g.toFixed(1);
    return unit ? `${text} GiB` : text;
  }

  /** What the charts do not show: capacity, limits and clocks. */
  export function fillFacts(el: HTMLElement, gpu: GpuInfo): void {
    const facts: string[] = [];
    if (gpu.memoryTotalMiB !== null) facts.push(`${gib(gpu.memoryTotalMiB)} memory`);
    if (gpu.powerLimitW !== null) facts.push(`${gpu.powerLimitW.toFixed(0)} W limit`);
    if (gpu.clockSmMHz !== null) facts.push(`SM ${gpu.clockSmMHz.toFixed(0)} MHz`);
    if (gpu.fanPercent !== null) facts.push(`fan ${gpu.fanPercent.toFixed(0)}%`);
    if (gpu.cudaIndex !== null && gpu.cudaIndex !== gpu.index) facts.push(`cuda:${gpu.cudaIndex}`);
    if (gpu.migMode === 'Enabled')
      facts.push(`MIG: ${gpu.migDevices.length} slice${gpu.migDevices.length === 1 ? '' : 's'}`);
    const text = facts.join(' · ');
    if (el.textContent !== text) el.textContent = text;
    el.dataset.util = gpu.utilizationGpu === null ? '' : String(gpu.utilizationGpu);
  }

  export function servicesText(status: ServicesStatus, message: string | null): string {
    switch (status) {
      case 'idle':
      case 'starting':
        return message ?? 'Starting the warren services kernel…';
      case 'restarting':
        return message ?? 'The warren services kernel is restarting…';
      case 'disconnected':
        return message ?? 'Disconnected from the warren services kernel; reconnecting…';
      case 'dead':
        return `${message ?? 'The warren services kernel died'}. Retrying…`;
      default:
        return '';
    }
  }

  export function stateText(s: GpuSnapshot): string {
    const why = s.message ? `: ${s.message}` : '';
    switch (s.state) {
      case 'no-gpu':
        return `No GPU found${why}`;
      case 'no-driver':
        return `The GPU driver does not answer${why}`;
      case 'timeout':
        return `nvidia-smi did not answer in time${why}`;
      default:
        return `GPU monitor error${why}`;
    }
  }
}
