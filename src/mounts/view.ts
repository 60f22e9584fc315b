import { Widget } from '@lumino/widgets';
import type { MountSpec } from '../contract/mounts';
import type { ServicesStatus } from '../tokens';
import type { MountsModel } from './model';
import { specFromForm } from './model';

/**
 * The Mounts sidebar: a row per mount with a status light and a remove
 * button, a form to add one, the toolboxes, and the log.
 */
export class MountsPanel extends Widget {
  constructor(options: MountsPanel.IOptions) {
    super();
    this._model = options.model;
    this._onMount = options.mount;
    this._onUnmount = options.unmount;
    this._onAccept = options.acceptToolbox;
    this._onDecline = options.declineToolbox;
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
      this._buildForm(),
      this._message,
      heading('Toolboxes'),
      this._toolboxes,
      logs
    );
    this.setServicesStatus('idle', null);
  }

  setServicesStatus(status: ServicesStatus, message: string | null): void {
    this._status.dataset.state = status;
    this._status.textContent =
      status === 'connected'
        ? ''
        : status === 'dead'
          ? `Services kernel is down: ${message ?? ''}`
          : (message ?? 'Connecting to the warren services kernel…');
  }

  refresh(): void {
    const m = this._model;
    this._list.replaceChildren();
    if (m.mounts.length === 0)
      this._list.append(el('div', 'jp-WarrenMounts-empty', 'No mounts yet.'));
    for (const mount of m.mounts) {
      const row = el('div', 'jp-WarrenMounts-row');
      row.dataset.mountpoint = mount.mountpoint;
      row.dataset.state = mount.state;
      const light = el('span', 'jp-WarrenMounts-light');
      light.dataset.state = mount.state;
      light.title = mount.message ? `${mount.state}: ${mount.message}` : mount.state;
      const text = el('div', 'jp-WarrenMounts-text');
      text.append(
        el('div', 'jp-WarrenMounts-mountpoint', mount.mountpoint),
        el(
          'div',
          'jp-WarrenMounts-source',
          `${mount.kind} · ${mount.source}${mount.readOnly ? ' · read-only' : ''}${mount.auto ? ' · auto' : ''}`
        )
      );
      if (mount.message) text.append(el('div', 'jp-WarrenMounts-error', mount.message));
      const remove = el(
        'button',
        'jp-WarrenMounts-remove jp-mod-styled',
        'Remove'
      ) as HTMLButtonElement;
      remove.title = 'Upload pending writes, unmount, and forget this mount';
      remove.disabled = mount.state === 'busy';
      remove.onclick = () => this._onUnmount(mount.mountpoint);
      row.append(light, text, remove);
      this._list.append(row);
    }
    const result = m.lastResult;
    this._message.textContent = m.pending ? 'Working…' : (result?.message ?? '');
    this._message.classList.toggle('jp-mod-error', !m.pending && result !== null && !result.ok);
    this._toolboxes.replaceChildren();
    if (m.toolboxes.length === 0 && m.pendingToolboxes.length === 0)
      this._toolboxes.append(el('div', 'jp-WarrenMounts-empty', 'No toolboxes.'));
    for (const t of m.toolboxes) {
      const row = el('div', 'jp-WarrenMounts-toolbox');
      row.dataset.name = t.name;
      const light = el('span', 'jp-WarrenMounts-light');
      light.dataset.state = t.present ? 'mounted' : 'unmounted';
      const env = Object.keys(t.env);
      row.append(
        light,
        el(
          'span',
          '',
          `${t.name} — ${t.root} (${t.commands} commands${env.length ? `; ${env.join(', ')}` : ''})`
        )
      );
      this._toolboxes.append(row);
    }
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
    this._logs.textContent = m.logs
      .map(
        (l) =>
          `${new Date(l.time).toLocaleTimeString()} ${l.level === 'info' ? '' : l.level.toUpperCase() + ' '}${l.text}`
      )
      .join('\n');
  }

  private _buildForm(): HTMLElement {
    const form = document.createElement('form');
    form.className = 'jp-WarrenMounts-form';
    const kind = document.createElement('select');
    kind.name = 'kind';
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
    const input = (name: string, placeholder: string, type = 'text') => {
      const i = document.createElement('input');
      i.name = name;
      i.type = type;
      i.placeholder = placeholder;
      i.className = 'jp-mod-styled';
      return i;
    };
    const source = input('source', 'gdrive: · user@host:/path · /folder');
    const mountpoint = input('mountpoint', '/content/drive');
    const port = input('port', 'port (sshfs)');
    const identity = input('identityFile', 'key file (sshfs)');
    const config = input('rcloneConfig', 'rclone config file (optional)');
    const check = (name: string, label: string) => {
      const l = document.createElement('label');
      const c = input(name, '', 'checkbox');
      l.append(c, ` ${label}`);
      return { l, c };
    };
    const ro = check('readOnly', 'read-only');
    const auto = check('auto', 'mount at start');
    const add = el(
      'button',
      'jp-WarrenMounts-add jp-mod-styled jp-mod-accept',
      'Add mount'
    ) as HTMLButtonElement;
    add.type = 'submit';
    const showFor = () => {
      port.hidden = identity.hidden = kind.value !== 'sshfs';
      config.hidden = kind.value !== 'rclone';
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
          readOnly: ro.c.checked,
          auto: auto.c.checked,
          port: port.value,
          identityFile: identity.value,
          rcloneConfig: config.value
        })
      );
    };
    form.append(kind, source, mountpoint, port, identity, config, ro.l, auto.l, add);
    return form;
  }

  private readonly _model: MountsModel;
  private readonly _onMount: (spec: MountSpec) => void;
  private readonly _onUnmount: (mountpoint: string) => void;
  private readonly _onAccept: (name: string) => void;
  private readonly _onDecline: (name: string) => void;
  private readonly _status: HTMLElement;
  private readonly _list: HTMLElement;
  private readonly _message: HTMLElement;
  private readonly _toolboxes: HTMLElement;
  private readonly _logs: HTMLElement;
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
