import { Widget } from '@lumino/widgets';
import type { RunProfile, RunResources } from '../contract/runs';
import type { RunsModel } from './model';

/**
 * The Runs sidebar: one row per run (notebook, profile, job, state), cancel
 * and "open result" buttons, and a live tail of the selected run's output.
 */
export class RunsPanel extends Widget {
  constructor(options: RunsPanel.IOptions) {
    super();
    this._model = options.model;
    this._actions = options.actions;
    this.addClass('jp-WarrenRuns');
    this._list = document.createElement('ul');
    this._list.className = 'jp-WarrenRuns-list';
    this._tail = document.createElement('pre');
    this._tail.className = 'jp-WarrenRuns-tail';
    const empty = document.createElement('div');
    empty.className = 'jp-WarrenRuns-empty';
    empty.textContent = 'No runs yet: use "Send to cluster" in a notebook toolbar.';
    this._empty = empty;
    this.node.append(this._empty, this._list, this._tail);
    this._model.changed.connect(this.refresh, this);
  }

  get selected(): string | null {
    return this._selected;
  }

  refresh(): void {
    const runs = this._model.runs;
    this._empty.style.display = runs.length ? 'none' : '';
    this._list.replaceChildren(
      ...runs.map((run) => {
        const li = document.createElement('li');
        li.className = 'jp-WarrenRuns-run';
        li.dataset.id = run.id;
        li.dataset.state = run.state;
        if (run.id === this._selected) li.classList.add('jp-mod-selected');
        const name = document.createElement('span');
        name.className = 'jp-WarrenRuns-name';
        name.textContent = run.notebook.split('/').pop() ?? run.notebook;
        name.title = `${run.notebook}\n${run.message}`;
        const state = document.createElement('span');
        state.className = `jp-WarrenRuns-state jp-mod-${run.state}`;
        state.textContent = run.state.toUpperCase();
        const meta = document.createElement('span');
        meta.className = 'jp-WarrenRuns-meta';
        meta.textContent = `${run.profile}${run.jobId ? ` · job ${run.jobId}` : ''}`;
        const buttons = document.createElement('span');
        buttons.className = 'jp-WarrenRuns-buttons';
        const final = ['completed', 'failed', 'cancelled', 'timeout'].includes(run.state);
        if (!final)
          buttons.append(
            this._button('Cancel', 'jp-WarrenRuns-cancel', () => this._actions.cancel(run.id))
          );
        if (final)
          buttons.append(
            this._button('Open result', 'jp-WarrenRuns-open', () => this._actions.open(run.id))
          );
        li.append(name, state, meta, buttons);
        li.addEventListener('click', () => this.select(run.id));
        return li;
      })
    );
    this._tail.textContent = this._selected ? this._model.tail(this._selected) : '';
  }

  select(id: string): void {
    this._selected = id;
    this._actions.tail(id);
    this.refresh();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this._model.changed.disconnect(this.refresh, this);
    super.dispose();
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

  private readonly _model: RunsModel;
  private readonly _actions: RunsPanel.IActions;
  private readonly _list: HTMLUListElement;
  private readonly _tail: HTMLPreElement;
  private readonly _empty: HTMLDivElement;
  private _selected: string | null = null;
}

export namespace RunsPanel {
  export interface IActions {
    cancel(id: string): void;
    open(id: string): void;
    tail(id: string): void;
  }
  export interface IOptions {
    model: RunsModel;
    actions: IActions;
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

/** The form's body: profile, resources, parameters (name=value lines), inputs and outputs. */
export class SendFormBody extends Widget {
  constructor(profiles: RunProfile[]) {
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
    this._partition = text('partition', p?.partition ?? '');
    this._gpus = text('gpus', p?.gpus ? String(p.gpus) : '', '0');
    this._cpus = text('cpus', p?.cpus ? String(p.cpus) : '', '1');
    this._mem = text('mem', p?.mem ?? '', '4G');
    this._time = text('time', p?.time ?? '', '1:00:00');
    field('Partition', this._partition);
    field('GPUs', this._gpus);
    field('CPUs', this._cpus);
    field('Memory', this._mem);
    field('Time limit', this._time);
    this._parameters = document.createElement('textarea');
    this._parameters.className = 'jp-mod-styled jp-WarrenRunsForm-parameters';
    this._parameters.placeholder = 'name=value, one per line';
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
