import { Widget } from '@lumino/widgets';
import type { MountSpec, MountStatus, Toolbox, ToolboxStatus } from '../contract/mounts';
import type { ServicesStatus } from '../tokens';
import type { MountsModel } from './model';
import { plural, specFromForm, toolboxFromForm } from './model';

/**
 * The Mounts sidebar: a row per mount with a status light and a remove
 * button, a labelled form to add one, the toolboxes with their own add form
 * and remove buttons, and the log. Removing asks first. Each part is drawn
 * again only when what it shows changed, so a health check that changes
 * nothing moves nothing under the pointer.
 */
export class MountsPanel extends Widget {
  constructor(options: MountsPanel.IOptions) {
    super();
    this._model = options.model;
    this._onMount = options.mount;
    this._onUnmount = options.unmount;
    this._onAccept = options.acceptToolbox;
    this._onDecline = options.declineToolbox;
    this._onAddToolbox = options.addToolbox;
    this._onRemoveToolbox = options.removeToolbox;
    this._confirm = options.confirm;
    this.addClass('jp-WarrenMounts');
    this._status = el('div', 'jp-WarrenMounts-status');
    this._list = el('div', 'jp-WarrenMounts-list');
    this._message = el('div', 'jp-WarrenMounts-message');
    this._toolboxes = el('div', 'jp-WarrenMounts-toolboxes');
    const logs = document.createElement('details');
    logs.className = 'jp-WarrenMounts-logs';
    const summary = document.createElement('summary');
    summary.textContent = 'Logs';
    this._logs = el('pre', 'jp-WarrenMounts-logText');
    logs.append(summary, this._logs);
    this.node.append(
      heading('Mounts'),
      this._status,
      this._list,
      this._buildMountForm(),
      this._message,
      heading('Toolboxes'),
      this._toolboxes,
      this._buildToolboxForm(),
      logs
    );
    this.setServicesStatus('idle', null);
  }

  setServicesStatus(status: ServicesStatus, message: string | null): void {
    this._status.dataset.state = status;
    const text =
      status === 'connected'
        ? (message ?? '')
        : status === 'dead'
          ? `Services kernel is down: ${message ?? ''}`
          : (message ?? 'Connecting to the warren services kernel…');
    if (this._status.textContent !== text) this._status.textContent = text;
  }

  /** Puts the cursor in the mount form (the palette's "Mount…"). */
  focusMountForm(): void {
    this._mountSource?.focus();
  }

  /** Puts the cursor in the toolbox form (the palette's "Add a toolbox…"). */
  focusToolboxForm(): void {
    this._toolboxName?.focus();
  }

  refresh(): void {
    const m = this._model;
    const mountsKey = JSON.stringify(m.mounts);
    if (mountsKey !== this._mountsKey) {
      this._mountsKey = mountsKey;
      this._list.replaceChildren();
      if (m.mounts.length === 0)
        this._list.append(el('div', 'jp-WarrenMounts-empty', 'No mounts yet.'));
      for (const mount of m.mounts) this._list.append(this._mountRow(mount));
    }
    const result = m.lastResult;
    const message = m.pending ? 'Working…' : (result?.message ?? '');
    if (this._message.textContent !== message) this._message.textContent = message;
    this._message.classList.toggle('jp-mod-error', !m.pending && result !== null && !result.ok);
    const toolboxesKey = JSON.stringify([m.toolboxes, m.pendingToolboxes]);
    if (toolboxesKey !== this._toolboxesKey) {
      this._toolboxesKey = toolboxesKey;
      this._toolboxes.replaceChildren();
      if (m.toolboxes.length === 0 && m.pendingToolboxes.length === 0)
        this._toolboxes.append(el('div', 'jp-WarrenMounts-empty', 'No toolboxes.'));
      for (const t of m.toolboxes) this._toolboxes.append(this._toolboxRow(t));
      // What a volume brought is shown in full before anything takes effect.
      for (const t of m.pendingToolboxes) {
        const row = el('div', 'jp-WarrenMounts-toolbox jp-mod-pending');
        row.dataset.name = t.name;
        const env = Object.entries(t.env).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
        const text = el('div', 'jp-WarrenMounts-text');
        text.append(
          el('div', '', `${t.name} — brought by ${t.volume}, not in effect`),
          el(
            'div',
            'jp-WarrenMounts-source',
            `PATH first: ${t.bin.map((b) => `${t.root}/${b}`).join(', ')}${env.length ? `; sets ${env.join(' ')}` : ''}`
          )
        );
        const accept = el('button', 'jp-WarrenMounts-accept jp-mod-styled', 'Accept');
        accept.onclick = () => this._onAccept(t.name);
        const decline = el('button', 'jp-WarrenMounts-decline jp-mod-styled', 'Decline');
        decline.onclick = () => this._onDecline(t.name);
        row.append(text, accept, decline);
        this._toolboxes.append(row);
      }
    }
    const logs = m.logs
      .map(
        (l) =>
          `${new Date(l.time).toLocaleTimeString()} ${l.level === 'info' ? '' : l.level.toUpperCase() + ' '}${l.text}`
      )
      .join('\n');
    if (this._logs.textContent !== logs) this._logs.textContent = logs;
  }

  private _mountRow(mount: MountStatus): HTMLElement {
    const row = el('div', 'jp-WarrenMounts-row');
    row.dataset.mountpoint = mount.mountpoint;
    row.dataset.state = mount.state;
    const light = el('span', 'jp-WarrenMounts-light');
    light.dataset.state = mount.state;
    light.title = mount.message ? `${mount.state}: ${mount.message}` : mount.state;
    const text = el('div', 'jp-WarrenMounts-text');
    const where = el('div', 'jp-WarrenMounts-mountpoint', mount.mountpoint);
    where.title = mount.mountpoint;
    const source = el(
      'div',
      'jp-WarrenMounts-source',
      `${mount.kind} · ${mount.source}${mount.readOnly ? ' · read-only' : ''}${mount.auto ? ' · auto' : ''}`
    );
    source.title = `${mount.kind} ${mount.source}\nmounted on ${mount.mountpoint}`;
    text.append(where, source);
    if (mount.message) text.append(el('div', 'jp-WarrenMounts-error', mount.message));
    const remove = el(
      'button',
      'jp-WarrenMounts-remove jp-mod-styled',
      'Remove'
    ) as HTMLButtonElement;
    remove.title = 'Upload pending writes, unmount, and forget this mount';
    remove.disabled = mount.state === 'busy';
    remove.onclick = async () => {
      const ok = await this._confirm(
        'Remove this mount?',
        `${mount.mountpoint} is unmounted (pending writes are uploaded first) and forgotten. ` +
          `Nothing in ${mount.source} is deleted.`,
        'Remove'
      );
      if (ok) this._onUnmount(mount.mountpoint);
    };
    row.append(light, text, remove);
    return row;
  }

  private _toolboxRow(t: ToolboxStatus): HTMLElement {
    const row = el('div', 'jp-WarrenMounts-toolbox');
    row.dataset.name = t.name;
    const light = el('span', 'jp-WarrenMounts-light');
    light.dataset.state = t.present ? 'mounted' : 'unmounted';
    light.title = t.present ? 'present' : (t.message ?? 'its folder is missing or cannot be read');
    const env = Object.keys(t.env);
    const text = el('div', 'jp-WarrenMounts-text');
    text.append(
      el('div', 'jp-WarrenMounts-mountpoint', t.name),
      el(
        'div',
        'jp-WarrenMounts-source',
        `${plural(t.commands, 'command')}${env.length ? ` · sets ${env.join(', ')}` : ''}`
      )
    );
    const root = el('div', 'jp-WarrenMounts-source jp-WarrenMounts-root', t.root);
    root.title = `${t.root}\nPATH gets: ${t.bin.map((b) => `${t.root}/${b}`).join(', ')}`;
    text.append(root);
    const remove = el(
      'button',
      'jp-WarrenMounts-removeToolbox jp-mod-styled',
      'Remove'
    ) as HTMLButtonElement;
    remove.title = 'Take this toolbox off PATH in new kernels';
    remove.onclick = async () => {
      const ok = await this._confirm(
        'Remove this toolbox?',
        `${t.name} leaves PATH in kernels started from now on. Its files in ${t.root} stay.`,
        'Remove'
      );
      if (ok) this._onRemoveToolbox(t.name);
    };
    row.append(light, text, remove);
    return row;
  }

  private _buildMountForm(): HTMLElement {
    const form = document.createElement('form');
    form.className = 'jp-WarrenMounts-form';
    const kind = document.createElement('select');
    kind.name = 'kind';
    kind.className = 'jp-mod-styled';
    for (const [value, label] of [
      ['rclone', 'rclone remote'],
      ['sshfs', 'sshfs'],
      ['bind', 'local folder (bind)'],
      ['nfs', 'NFS']
    ]) {
      const o = document.createElement('option');
      o.value = value;
      o.textContent = label;
      kind.append(o);
    }
    const source = input('source', 'gdrive: · user@host:/path · /folder');
    this._mountSource = source;
    const mountpoint = input('mountpoint', '/content/drive');
    const port = input('port', '22');
    const identity = input('identityFile', '~/.ssh/id_ed25519');
    const config = input('rcloneConfig', 'the default rclone config');
    const ro = checkbox('readOnly', 'Read-only');
    const auto = checkbox('auto', 'Mount when the services start');
    const add = el(
      'button',
      'jp-WarrenMounts-add jp-mod-styled jp-mod-accept',
      'Add mount'
    ) as HTMLButtonElement;
    add.type = 'submit';
    const fields = {
      port: labelled('Port (sshfs)', port),
      identity: labelled('Key file (sshfs)', identity),
      config: labelled('rclone config file', config)
    };
    const showFor = () => {
      fields.port.hidden = fields.identity.hidden = kind.value !== 'sshfs';
      fields.config.hidden = kind.value !== 'rclone';
    };
    kind.onchange = showFor;
    showFor();
    form.onsubmit = (event) => {
      event.preventDefault();
      this._onMount(
        specFromForm({
          kind: kind.value,
          source: source.value,
          mountpoint: mountpoint.value,
          readOnly: ro.input.checked,
          auto: auto.input.checked,
          port: port.value,
          identityFile: identity.value,
          rcloneConfig: config.value
        })
      );
    };
    form.append(
      el('div', 'jp-WarrenMounts-formTitle', 'Add a mount'),
      labelled('Kind', kind),
      labelled('Source', source),
      labelled('Mount at', mountpoint),
      fields.port,
      fields.identity,
      fields.config,
      ro.label,
      auto.label,
      add
    );
    return form;
  }

  private _buildToolboxForm(): HTMLElement {
    const form = document.createElement('form');
    form.className = 'jp-WarrenMounts-form jp-WarrenMounts-toolboxForm';
    const name = input('toolboxName', 'mrtrix3');
    this._toolboxName = name;
    const root = input('toolboxRoot', '/content/drive/tools/mrtrix3');
    const bin = input('toolboxBin', 'bin');
    const add = el(
      'button',
      'jp-WarrenMounts-addToolbox jp-mod-styled jp-mod-accept',
      'Add toolbox'
    ) as HTMLButtonElement;
    add.type = 'submit';
    form.onsubmit = (event) => {
      event.preventDefault();
      this._onAddToolbox(toolboxFromForm({ name: name.value, root: root.value, bin: bin.value }));
    };
    form.append(
      el('div', 'jp-WarrenMounts-formTitle', 'Add a toolbox (its bin folders go on PATH)'),
      labelled('Name', name),
      labelled('Folder', root),
      labelled('Bin folders', bin),
      add
    );
    return form;
  }

  private readonly _model: MountsModel;
  private readonly _onMount: (spec: MountSpec) => void;
  private readonly _onUnmount: (mountpoint: string) => void;
  private readonly _onAccept: (name: string) => void;
  private readonly _onDecline: (name: string) => void;
  private readonly _onAddToolbox: (toolbox: Toolbox) => void;
  private readonly _onRemoveToolbox: (name: string) => void;
  private readonly _confirm: MountsPanel.IOptions['confirm'];
  private readonly _status: HTMLElement;
  private readonly _list: HTMLElement;
  private readonly _message: HTMLElement;
  private readonly _toolboxes: HTMLElement;
  private readonly _logs: HTMLElement;
  private _mountSource: HTMLInputElement | null = null;
  private _toolboxName: HTMLInputElement | null = null;
  private _mountsKey = '';
  private _toolboxesKey = '';
}

export namespace MountsPanel {
  export interface IOptions {
    model: MountsModel;
    mount: (spec: MountSpec) => void;
    unmount: (mountpoint: string) => void;
    /** Puts a toolbox a volume brought into effect. */
    acceptToolbox: (name: string) => void;
    /** Drops a toolbox a volume brought. */
    declineToolbox: (name: string) => void;
    addToolbox: (toolbox: Toolbox) => void;
    removeToolbox: (name: string) => void;
    /** Asks before a destructive action; resolves true to go ahead. */
    confirm: (title: string, body: string, action: string) => Promise<boolean>;
  }
}

function el(tag: string, className: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function heading(text: string): HTMLElement {
  return el('h3', 'jp-WarrenMounts-heading', text);
}

function input(name: string, placeholder: string): HTMLInputElement {
  const i = document.createElement('input');
  i.name = name;
  i.type = 'text';
  i.placeholder = placeholder;
  i.className = 'jp-mod-styled';
  return i;
}

/** A field with its label above it; the label names the input for screen readers too. */
function labelled(text: string, control: HTMLElement): HTMLLabelElement {
  const label = document.createElement('label');
  label.className = 'jp-WarrenMounts-field';
  label.append(el('span', 'jp-WarrenMounts-label', text), control);
  return label;
}

function checkbox(
  name: string,
  text: string
): { label: HTMLLabelElement; input: HTMLInputElement } {
  const label = document.createElement('label');
  label.className = 'jp-WarrenMounts-check';
  const c = document.createElement('input');
  c.type = 'checkbox';
  c.name = name;
  label.append(c, ` ${text}`);
  return { label, input: c };
}
