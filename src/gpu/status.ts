import { Widget } from '@lumino/widgets';
import { gib, shortName } from './format';
import type { GpuModel } from './model';

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
          : `${gib(gpu.memoryUsedMiB, false)}/${gib(gpu.memoryTotalMiB)}`;
      text = `GPU ${util} · ${mem} · #${gpu.index} ${shortName(gpu.name)}`;
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
