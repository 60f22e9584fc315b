import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import uPlot from 'uplot';
import type { GpuInfo, GpuSnapshot } from '../contract/gpu';
import type { ServicesStatus } from '../tokens';
import type { GpuModel } from './model';
import { memoryPercent } from './model';

/**
 * The GPU sidebar: a status line, a card per GPU with a live chart, and the
 * process table. It redraws only while visible; hidden, it keeps nothing but
 * the model's history, and catches up when shown.
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
    this._renderProcesses(snapshot);
    // bench/lab-load.ts samples this: one update's main-thread time.
    this.node.dataset.updateMs = (performance.now() - started).toFixed(3);
  }

  override dispose(): void {
    if (this.isDisposed) return;
    for (const card of this._cardsByUuid.values()) card.plot.destroy();
    this._cardsByUuid.clear();
    super.dispose();
  }

  protected override onAfterShow(_msg: Message): void {
    this._drawn = -1;
    this.refresh();
  }

  protected override onResize(_msg: Message): void {
    const width = this._chartWidth();
    for (const card of this._cardsByUuid.values())
      card.plot.setSize({ width, height: CHART_HEIGHT });
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
      card.plot.destroy();
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
      const h = this._model.history(gpu.uuid);
      card.plot.setData([h.time, h.util, h.memory]);
    });
  }

  private _createCard(gpu: GpuInfo): Private.ICard {
    const node = document.createElement('div');
    node.className = 'jp-WarrenGpu-card';
    node.dataset.uuid = gpu.uuid;
    const title = document.createElement('div');
    title.className = 'jp-WarrenGpu-cardTitle';
    title.textContent = `GPU ${gpu.index}: ${gpu.name}`;
    title.title = gpu.uuid;
    const facts = document.createElement('div');
    facts.className = 'jp-WarrenGpu-facts';
    const chart = document.createElement('div');
    chart.className = 'jp-WarrenGpu-chart';
    node.append(title, facts, chart);
    // Canvas strokes cannot use CSS variables: resolve the theme's colours now.
    const css = getComputedStyle(document.body);
    const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
    const plot = new uPlot(
      {
        width: this._chartWidth(),
        height: CHART_HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: true }, y: { auto: false, range: [0, 100] } },
        axes: [
          { show: false },
          {
            size: 32,
            values: (_u: uPlot, ticks: number[]) => ticks.map((t) => `${t}%`),
            stroke: 'var(--jp-ui-font-color2)'
          }
        ],
        series: [
          {},
          {
            label: 'GPU',
            stroke: color('--jp-brand-color1', '#1976d2'),
            width: 1.5,
            spanGaps: false
          },
          {
            label: 'Memory',
            stroke: color('--jp-warn-color1', '#f57c00'),
            width: 1.5,
            spanGaps: false
          }
        ]
      },
      [[], [], []],
      chart
    );
    return { node, facts, plot };
  }

  private _renderHost(snapshot: GpuSnapshot): void {
    const h = snapshot.host;
    const parts: string[] = [];
    if (h.cpuPercent !== null) parts.push(`CPU ${h.cpuPercent.toFixed(0)}% of ${h.cpuCount}`);
    if (h.memTotalBytes !== null && h.memAvailableBytes !== null)
      parts.push(
        `RAM ${Private.gib((h.memTotalBytes - h.memAvailableBytes) / MIB)}/${Private.gib(h.memTotalBytes / MIB)}`
      );
    if (h.diskTotalBytes !== null && h.diskFreeBytes !== null)
      parts.push(
        `Disk ${Private.gib((h.diskTotalBytes - h.diskFreeBytes) / MIB)}/${Private.gib(h.diskTotalBytes / MIB)}`
      );
    const text = parts.join(' · ');
    if (this._host.textContent !== text) this._host.textContent = text;
  }

  private _renderProcesses(snapshot: GpuSnapshot): void {
    const table = this._processes;
    table.replaceChildren();
    const head = table.createTHead().insertRow();
    for (const label of ['PID', 'GPU', 'Memory', 'Notebook']) {
      const th = document.createElement('th');
      th.textContent = label;
      head.appendChild(th);
    }
    const body = table.createTBody();
    if (snapshot.processes.length === 0) {
      const cell = body.insertRow().insertCell();
      cell.colSpan = 4;
      cell.className = 'jp-WarrenGpu-empty';
      cell.textContent = 'No GPU processes';
      return;
    }
    for (const p of snapshot.processes) {
      const row = body.insertRow();
      row.dataset.pid = String(p.pid);
      row.insertCell().textContent = String(p.pid);
      row.insertCell().textContent = p.gpuIndex === null ? '?' : String(p.gpuIndex);
      row.insertCell().textContent = p.usedMemoryMiB === null ? '–' : Private.gib(p.usedMemoryMiB);
      const owner = row.insertCell();
      const kernelId = p.ownerKernelId;
      const label = kernelId ? this._owner(kernelId) : null;
      if (kernelId && label) {
        const link = document.createElement('a');
        link.className = 'jp-WarrenGpu-owner';
        link.textContent = label;
        link.title = `Open ${label}`;
        link.onclick = (event) => {
          event.preventDefault();
          this._openOwner(kernelId);
        };
        owner.appendChild(link);
      } else {
        owner.textContent = kernelId ? `kernel ${kernelId.slice(0, 8)}` : '–';
      }
    }
  }

  private _chartWidth(): number {
    return Math.max(160, (this.node.clientWidth || 280) - 28);
  }

  private readonly _model: GpuModel;
  private readonly _owner: (kernelId: string) => string | null;
  private readonly _openOwner: (kernelId: string) => void;
  private readonly _status: HTMLDivElement;
  private readonly _cards: HTMLDivElement;
  private readonly _host: HTMLDivElement;
  private readonly _processes: HTMLTableElement;
  private readonly _cardsByUuid = new Map<string, Private.ICard>();
  private _servicesStatus: ServicesStatus = 'idle';
  private _servicesMessage: string | null = null;
  private _drawn = -1;
}

export namespace GpuPanel {
  export interface IOptions {
    model: GpuModel;
    /** A notebook's name for a kernel id, or null if no session holds it. */
    owner: (kernelId: string) => string | null;
    openOwner: (kernelId: string) => void;
  }
}

/** The status bar item: utilisation and memory at a glance. */
export class GpuStatusItem extends Widget {
  constructor(model: GpuModel) {
    super();
    this._model = model;
    this.addClass('jp-WarrenGpuStatus');
    this.node.title = 'GPU utilisation and memory (warren)';
    this.refresh();
  }

  refresh(): void {
    const s = this._model.summary();
    const snapshot = this._model.snapshot;
    let text: string;
    if (s) {
      const util = s.utilization === null ? '–' : `${s.utilization.toFixed(0)}%`;
      const mem =
        s.memoryUsedMiB === null || s.memoryTotalMiB === null
          ? '–'
          : `${Private.gib(s.memoryUsedMiB, false)}/${Private.gib(s.memoryTotalMiB)}`;
      text = `GPU${s.count > 1 ? `×${s.count}` : ''} ${util} · ${mem}`;
    } else if (snapshot && snapshot.state !== 'ok') {
      text = snapshot.state === 'no-gpu' ? 'GPU: none' : `GPU: ${snapshot.state}`;
    } else {
      text = 'GPU: …';
    }
    if (this.node.textContent !== text) this.node.textContent = text;
  }

  private readonly _model: GpuModel;
}

const CHART_HEIGHT = 90;
const MIB = 1024 * 1024;

namespace Private {
  export interface ICard {
    node: HTMLDivElement;
    facts: HTMLDivElement;
    plot: uPlot;
  }

  export function gib(mib: number, unit = true): string {
    const g = mib / 1024;
    const text = g >= 100 ? g.toFixed(0) : g.toFixed(1);
    return unit ? `${text} GiB` : text;
  }

  function value(v: number | null, suffix: string, digits = 0): string {
    return v === null ? '–' : `${v.toFixed(digits)}${suffix}`;
  }

  export function fillFacts(el: HTMLElement, gpu: GpuInfo): void {
    const mem = memoryPercent(gpu);
    const facts: [string, string][] = [
      ['util', value(gpu.utilizationGpu, '%')],
      [
        'memory',
        gpu.memoryUsedMiB === null || gpu.memoryTotalMiB === null
          ? '–'
          : `${gib(gpu.memoryUsedMiB, false)}/${gib(gpu.memoryTotalMiB)} (${value(mem, '%')})`
      ],
      ['temp', value(gpu.temperatureC, '°C')],
      [
        'power',
        gpu.powerDrawW === null
          ? '–'
          : `${gpu.powerDrawW.toFixed(0)}/${value(gpu.powerLimitW, ' W')}`
      ],
      ['sm', value(gpu.clockSmMHz, ' MHz')]
    ];
    if (gpu.migDevices.length) facts.push(['mig', gpu.migDevices.map((m) => m.name).join(', ')]);
    const text = facts.map(([k, v]) => `${k} ${v}`).join(' · ');
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
