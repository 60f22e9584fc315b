import type { NotebookPanel } from '@jupyterlab/notebook';
import { MimeModel } from '@jupyterlab/rendermime';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';
import type { RunProfile, RunResources, RunSummary } from '../contract/runs';
import type { ServicesStatus } from '../tokens';
import {
  applyCarriageReturns,
  formatDuration,
  formatTime,
  mapCounts,
  parameterDefaults,
  RunsModel
} from './model';

/**
 * The Runs sidebar: every notebook run and map, newest first, with state,
 * times, duration, a map's counts and the buttons that fit its state; below,
 * the selected run's log, rendered as a cell's output is (colours, progress
 * lines), under a line that names the run. Rows are rebuilt only when a run
 * changed, so nothing moves under the pointer; durations tick in place.
 */
export class RunsPanel extends Widget {
  constructor(options: RunsPanel.IOptions) {
    super();
    this._model = options.model;
    this._actions = options.actions;
    this._renderLog = options.renderLog;
    this.addClass('jp-WarrenRuns');
    const bar = document.createElement('div');
    bar.className = 'jp-WarrenRuns-bar';
    const results = document.createElement('button');
    results.className = 'jp-Button jp-mod-minimal jp-WarrenRuns-button jp-WarrenRuns-results';
    results.textContent = 'Results folder';
    results.title = 'Open the folder run results are fetched to (a setting)';
    results.onclick = () => this._actions.openResults();
    this._status = document.createElement('div');
    this._status.className = 'jp-WarrenRuns-status';
    bar.append(this._status, results);
    this._list = document.createElement('ul');
    this._list.className = 'jp-WarrenRuns-list';
    this._logTitle = document.createElement('div');
    this._logTitle.className = 'jp-WarrenRuns-logTitle';
    this._log = document.createElement('div');
    this._log.className = 'jp-WarrenRuns-log';
    const empty = document.createElement('div');
    empty.className = 'jp-WarrenRuns-empty';
    empty.textContent =
      'No runs yet: "Send to cluster" in a notebook\'s toolbar, or `warren map` / `%map` for commands.';
    this._empty = empty;
    this.node.append(bar, this._empty, this._list, this._logTitle, this._log);
    this._model.changed.connect(this.refresh, this);
    this._ticker = window.setInterval(() => this._tick(), 1000);
  }

  /**
   * Says where the services kernel stands while it is away or requests wait
   * for it; says nothing while connected with nothing waiting.
   */
  setServicesStatus(status: ServicesStatus, message: string | null): void {
    this._status.dataset.state = status;
    const text =
      status === 'connected' || status === 'idle'
        ? (message ?? '')
        : status === 'dead'
          ? `Services kernel is down: ${message ?? ''}`
          : (message ?? 'Connecting to the warren services kernel…');
    if (this._status.textContent !== text) this._status.textContent = text;
  }

  get selected(): string | null {
    return this._selected;
  }

  refresh(): void {
    const runs = this._model.runs;
    this._empty.style.display = runs.length ? 'none' : '';
    if (this._selected && !this._model.get(this._selected)) this._selected = null;
    const key = JSON.stringify([this._selected, runs]);
    if (key !== this._listKey) {
      this._listKey = key;
      this._list.replaceChildren(...runs.map((run) => this._row(run)));
    }
    this._refreshLog();
  }

  select(id: string): void {
    if (this._selected !== id) {
      this._selected = id;
      this._shownLog = null;
    }
    this._actions.tail(id);
    this.refresh();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    window.clearInterval(this._ticker);
    this._model.changed.disconnect(this.refresh, this);
    super.dispose();
  }

  private _row(run: RunSummary): HTMLLIElement {
    const li = document.createElement('li');
    li.className = 'jp-WarrenRuns-run';
    li.dataset.id = run.id;
    li.dataset.state = run.state;
    li.dataset.kind = run.kind;
    if (run.id === this._selected) li.classList.add('jp-mod-selected');
    const name = document.createElement('span');
    name.className = 'jp-WarrenRuns-name';
    name.textContent = Private.label(run);
    name.title = `${run.kind === 'map' ? 'Map of ' : ''}${run.notebook}\nrun ${run.id}\n${run.message}`;
    const state = document.createElement('span');
    state.className = `jp-WarrenRuns-state jp-mod-${run.state}`;
    state.textContent = run.state.toUpperCase();
    state.title = run.message;
    const meta = document.createElement('span');
    meta.className = 'jp-WarrenRuns-meta';
    meta.textContent = `${run.kind === 'map' ? 'map · ' : ''}${run.profile}${run.jobId ? ` · job ${run.jobId}` : ''}`;
    const times = document.createElement('span');
    times.className = 'jp-WarrenRuns-times';
    const started = document.createElement('span');
    started.textContent = `started ${formatTime(run.submitted)}`;
    started.title = `submitted ${run.submitted}${run.ended ? `\nended ${run.ended}` : ''}`;
    const duration = document.createElement('span');
    duration.className = 'jp-WarrenRuns-duration';
    duration.dataset.id = run.id;
    duration.textContent = Private.durationText(run);
    times.append(started, document.createTextNode(' · '), duration);
    const buttons = document.createElement('span');
    buttons.className = 'jp-WarrenRuns-buttons';
    const final = RunsModel.isFinal(run.state);
    if (!final)
      buttons.append(
        this._button('Cancel', 'jp-WarrenRuns-cancel', () => this._actions.cancel(run.id))
      );
    if (final && run.kind === 'notebook')
      buttons.append(
        this._button('Open result', 'jp-WarrenRuns-open', () => this._actions.open(run.id))
      );
    if (final && run.kind === 'map' && (run.failed ?? 0) > 0)
      buttons.append(
        this._button('Retry failed', 'jp-WarrenRuns-retry', () => this._actions.retry(run.id))
      );
    if (final && run.kind === 'notebook' && run.state !== 'completed')
      buttons.append(
        this._button('Run again', 'jp-WarrenRuns-retry', () => this._actions.retry(run.id))
      );
    if (final)
      buttons.append(
        this._button('Forget', 'jp-WarrenRuns-forget', () => this._actions.forget(run.id))
      );
    li.append(name, state, meta, times);
    const counts = mapCounts(run);
    if (counts) {
      const c = document.createElement('span');
      c.className = 'jp-WarrenRuns-counts';
      c.textContent = counts;
      if ((run.failed ?? 0) > 0) c.classList.add('jp-mod-failed');
      li.append(c);
    }
    li.append(buttons);
    li.addEventListener('click', () => this.select(run.id));
    return li;
  }

  /** Durations of unfinished runs move on without a rebuild. */
  private _tick(): void {
    if (!this.isVisible) return;
    for (const el of this._list.querySelectorAll<HTMLElement>('.jp-WarrenRuns-duration')) {
      const run = this._model.get(el.dataset.id ?? '');
      if (!run || RunsModel.isFinal(run.state)) continue;
      const text = Private.durationText(run);
      if (el.textContent !== text) el.textContent = text;
    }
  }

  private _refreshLog(): void {
    const id = this._selected;
    const run = id ? this._model.get(id) : undefined;
    if (!id || !run) {
      this._logTitle.textContent = 'Select a run to see its log';
      this._logTitle.dataset.id = '';
      this._log.replaceChildren();
      this._shownLog = null;
      return;
    }
    const title = `Log of ${Private.label(run)} · run ${run.id} · ${run.state}${RunsModel.isFinal(run.state) ? '' : ' (live)'}`;
    if (this._logTitle.textContent !== title) this._logTitle.textContent = title;
    this._logTitle.dataset.id = id;
    this._logTitle.title = run.notebook;
    const text = applyCarriageReturns(this._model.tail(id));
    // Only a change is drawn again: a redraw would lose the reader's place.
    if (this._shownLog === text) return;
    const stick = this._log.scrollTop + this._log.clientHeight >= this._log.scrollHeight - 4;
    this._shownLog = text;
    this._log.dataset.id = id;
    void this._renderLog(text, this._log).then(() => {
      if (stick) this._log.scrollTop = this._log.scrollHeight;
    });
  }

  private _button(label: string, cls: string, click: () => void): HTMLButtonElement {
    const b = document.createElement('button');
    b.className = `jp-Button jp-mod-minimal jp-WarrenRuns-button ${cls}`;
    b.textContent = label;
    b.addEventListener('click', (e) => {
      e.stopPropagation();
      click();
    });
    return b;
  }

  private readonly _status: HTMLDivElement;
  private readonly _model: RunsModel;
  private readonly _actions: RunsPanel.IActions;
  private readonly _renderLog: RunsPanel.IOptions['renderLog'];
  private readonly _list: HTMLUListElement;
  private readonly _logTitle: HTMLDivElement;
  private readonly _log: HTMLDivElement;
  private readonly _empty: HTMLDivElement;
  private readonly _ticker: number;
  private _listKey = '';
  private _shownLog: string | null = null;
  private _selected: string | null = null;
}

export namespace RunsPanel {
  export interface IActions {
    cancel(id: string): void;
    open(id: string): void;
    tail(id: string): void;
    retry(id: string): void;
    forget(id: string): void;
    openResults(): void;
  }
  export interface IOptions {
    model: RunsModel;
    actions: IActions;
    /** Draws a log into the element as a cell's stdout is drawn (the plugin passes the Lab's renderer). */
    renderLog: (text: string, host: HTMLElement) => Promise<void>;
  }
}

namespace Private {
  export function label(run: RunSummary): string {
    // `warren.map(lines)` and `%map` in a cell record no file.
    if (run.kind === 'map' && run.notebook === '(cell)') return 'commands from a cell';
    return run.notebook.split('/').pop() ?? run.notebook;
  }

  export function durationText(run: RunSummary): string {
    const d = formatDuration(RunsModel.duration(run));
    return RunsModel.isFinal(run.state) ? `took ${d}` : `${run.state} for ${d}`;
  }
}

/** What the "send to cluster" form returns. */
export interface SendForm {
  profile: string;
  resources: RunResources;
  parameters: { [name: string]: string };
  inputs: string[];
  outputs: string[];
}

/**
 * The form's body: profile, resources, parameters (name=value lines) under the
 * notebook's own `parameters` cell (or a warning that it has none), inputs and
 * outputs.
 */
export class SendFormBody extends Widget {
  /** `parametersCell`: the source of the notebook's cell tagged `parameters`, null when none is. */
  constructor(profiles: RunProfile[], parametersCell: string | null) {
    super();
    this.addClass('jp-WarrenRunsForm');
    const p = profiles[0];
    this.node.innerHTML = '';
    const field = (label: string, input: HTMLElement) => {
      const l = document.createElement('label');
      l.className = 'jp-WarrenRunsForm-field';
      const span = document.createElement('span');
      span.textContent = label;
      l.append(span, input);
      this.node.append(l);
    };
    this._profile = document.createElement('select');
    this._profile.className = 'jp-mod-styled jp-WarrenRunsForm-profile';
    for (const pr of profiles) {
      const o = document.createElement('option');
      o.value = pr.name;
      o.textContent = `${pr.name} (${pr.kind}${pr.host ? ` on ${pr.host}` : ''})`;
      this._profile.append(o);
    }
    field('Profile', this._profile);
    const text = (name: string, value: string, placeholder = '') => {
      const i = document.createElement('input');
      i.className = 'jp-mod-styled';
      i.name = name;
      i.value = value;
      i.placeholder = placeholder;
      return i;
    };
    this._partition = text('partition', '');
    this._gpus = text('gpus', '', '0');
    this._cpus = text('cpus', '', '1');
    this._mem = text('mem', '', '4G');
    this._time = text('time', '', '1:00:00');
    // The resources shown are the chosen profile's defaults: picking another
    // profile fills them again, except those the user typed into.
    const resources = [this._partition, this._gpus, this._cpus, this._mem, this._time];
    const edited = new Set<HTMLInputElement>();
    for (const input of resources) input.addEventListener('input', () => edited.add(input));
    const fill = (pr: RunProfile | undefined) => {
      const values: [HTMLInputElement, string][] = [
        [this._partition, pr?.partition ?? ''],
        [this._gpus, pr?.gpus ? String(pr.gpus) : ''],
        [this._cpus, pr?.cpus ? String(pr.cpus) : ''],
        [this._mem, pr?.mem ?? ''],
        [this._time, pr?.time ?? '']
      ];
      for (const [input, value] of values) if (!edited.has(input)) input.value = value;
    };
    fill(p);
    this._profile.addEventListener('change', () =>
      fill(profiles.find((pr) => pr.name === this._profile.value))
    );
    field('Partition', this._partition);
    field('GPUs', this._gpus);
    field('CPUs', this._cpus);
    field('Memory', this._mem);
    field('Time limit', this._time);
    const cell = document.createElement('div');
    cell.className = 'jp-WarrenRunsForm-cell';
    if (parametersCell === null) {
      cell.classList.add('jp-mod-warning');
      cell.textContent =
        'This notebook has no cell tagged "parameters": values given here go in a new first ' +
        'cell, and a later cell that sets the same name wins. Tag the cell that holds the ' +
        'defaults "parameters" (Property Inspector, Cell Tags).';
    } else {
      const caption = document.createElement('div');
      caption.textContent = "The notebook's parameters cell (values below replace these):";
      const pre = document.createElement('pre');
      pre.textContent = parametersCell;
      cell.append(caption, pre);
    }
    field('Parameters cell', cell);
    this._parameters = document.createElement('textarea');
    this._parameters.className = 'jp-mod-styled jp-WarrenRunsForm-parameters';
    const defaults = parametersCell === null ? [] : parameterDefaults(parametersCell);
    this._parameters.placeholder = defaults.length
      ? defaults.map(([n, v]) => `${n}=${v}`).join('\n')
      : 'name=value, one per line';
    field('Parameters', this._parameters);
    this._inputs = text('inputs', '', 'files sent along, comma separated');
    this._outputs = text('outputs', '', 'files brought back, comma separated');
    field('Inputs', this._inputs);
    field('Outputs', this._outputs);
  }

  getValue(): SendForm {
    const list = (s: string) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
    const resources: RunResources = {};
    if (this._partition.value.trim()) resources.partition = this._partition.value.trim();
    if (Number(this._gpus.value) > 0) resources.gpus = Number(this._gpus.value);
    if (Number(this._cpus.value) > 0) resources.cpus = Number(this._cpus.value);
    if (this._mem.value.trim()) resources.mem = this._mem.value.trim();
    if (this._time.value.trim()) resources.time = this._time.value.trim();
    const parameters: { [name: string]: string } = {};
    for (const line of this._parameters.value.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) parameters[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
    return {
      profile: this._profile.value,
      resources,
      parameters,
      inputs: list(this._inputs.value),
      outputs: list(this._outputs.value)
    };
  }

  private readonly _profile: HTMLSelectElement;
  private readonly _partition: HTMLInputElement;
  private readonly _gpus: HTMLInputElement;
  private readonly _cpus: HTMLInputElement;
  private readonly _mem: HTMLInputElement;
  private readonly _time: HTMLInputElement;
  private readonly _parameters: HTMLTextAreaElement;
  private readonly _inputs: HTMLInputElement;
  private readonly _outputs: HTMLInputElement;
}

/** The source of the notebook's cell tagged `parameters`, or null. */
export function parametersCell(widget: NotebookPanel): string | null {
  const cells = widget.content.model?.cells;
  if (!cells) return null;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    const tags = cell.getMetadata('tags');
    if (Array.isArray(tags) && tags.includes('parameters')) return cell.sharedModel.getSource();
  }
  return null;
}

/** A log drawn by the Lab's own stdout renderer (ANSI colours), as a cell shows a stream. */
export async function renderLog(
  rendermime: IRenderMimeRegistry | null,
  text: string,
  host: HTMLElement
): Promise<void> {
  const mime = 'application/vnd.jupyter.stdout';
  if (!rendermime || !rendermime.preferredMimeType({ [mime]: text })) {
    const pre = document.createElement('pre');
    pre.textContent = text;
    host.replaceChildren(pre);
    return;
  }
  const renderer = rendermime.createRenderer(mime);
  await renderer.renderModel(new MimeModel({ data: { [mime]: text } }));
  const output = document.createElement('div');
  output.className = 'jp-OutputArea-output';
  output.dataset.mimeType = mime;
  output.appendChild(renderer.node);
  host.replaceChildren(output);
}
