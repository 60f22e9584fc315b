import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import type { GpuInfo, GpuSnapshot } from '../contract/gpu';
import type { ServicesStatus } from '../tokens';
import { TimeChart } from './chart';
import { gib } from './format';
import { ProcessTable } from './processes';
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
    this._processes = new ProcessTable({
      model: this._model,
      owner: options.owner,
      openOwner: options.openOwner,
      sorted: () => this.refresh()
    });
    this.node.append(this._status, this._cards, this._host, heading, this._processes.node);
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
    this._processes.render();
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
              return mib === null ? `${v.toFixed(1)}%` : `${gib(mib)} (${v.toFixed(1)}%)`;
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
        `RAM ${gib((h.memTotalBytes - h.memAvailableBytes) / MIB, false)}/${gib(h.memTotalBytes / MIB)}`
      );
    if (h.diskTotalBytes !== null && h.diskFreeBytes !== null)
      parts.push(
        `Disk ${gib((h.diskTotalBytes - h.diskFreeBytes) / MIB, false)}/${gib(h.diskTotalBytes / MIB)}`
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
              return bytes === null ? `${v.toFixed(0)}%` : `${gib(bytes / MIB)} (${v.toFixed(0)}%)`;
            }
          }
        ]
      });
      this._host.appendChild(this._hostChart.node);
    }
    this._hostChart.setData([series.time, series.cpu, series.memory]);
  }

  private _chartWidth(): number {
    return Math.max(180, (this.node.clientWidth || 300) - 26);
  }

  private readonly _model: GpuModel;
  private readonly _status: HTMLDivElement;
  private readonly _cards: HTMLDivElement;
  private readonly _host: HTMLDivElement;
  private readonly _hostFacts: HTMLDivElement;
  private readonly _processes: ProcessTable;
  private readonly _cardsByUuid = new Map<string, Private.ICard>();
  private _hostChart: TimeChart | null = null;
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
