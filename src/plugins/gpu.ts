import { ILayoutRestorer } from '@jupyterlab/application';
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, IThemeManager } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { LabIcon } from '@jupyterlab/ui-components';
import { GpuDefaults } from '../contract/settings';
import type { GpuSettings } from '../contract/settings';
import { GpuModel } from '../gpu/model';
import { GpuStatusItem } from '../gpu/status';
import { GpuPanel } from '../gpu/view';
import { settingsOf } from '../settings';
import { IWarrenServices } from '../tokens';

const PLUGIN_ID = 'warren:gpu';

namespace CommandIDs {
  export const open = 'warren:open-gpu';
}

const gpuIcon = new LabIcon({
  name: 'warren:gpu',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<path d="M7 7h10v10H7z" opacity=".35"/><path d="M9 2h2v3H9zm4 0h2v3h-2zM9 19h2v3H9zm4 0h2v3h-2zM2 9h3v2H2zm0 4h3v2H2zm17-4h3v2h-3zm0 4h3v2h-3z"/>' +
    '<path d="M5 5h14v14H5zm2 2v10h10V7z"/></g></svg>'
});

/** The GPU sidebar and status bar item, fed by the `warren.gpu` comm of the services kernel. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'GPU cards with live charts, the GPU process table and a status bar item.',
  requires: [IWarrenServices],
  optional: [IStatusBar, ISettingRegistry, ICommandPalette, ILayoutRestorer, IThemeManager],
  autoStart: true,
  activate: activateGpu
};

function activateGpu(
  app: JupyterFrontEnd,
  services: IWarrenServices,
  statusBar: IStatusBar | null,
  settings: ISettingRegistry | null,
  palette: ICommandPalette | null,
  restorer: ILayoutRestorer | null,
  themes: IThemeManager | null
): void {
  const started = performance.now();
  const model = new GpuModel({ services, intervalMs: GpuDefaults.intervalMs });
  const panel = new GpuPanel({
    model,
    owner: (kernelId) => model.notebookOf(kernelId),
    openOwner: (kernelId) => {
      const path = model.notebookOf(kernelId);
      if (path) void app.commands.execute('docmanager:open', { path });
    }
  });
  panel.id = 'jp-warren-gpu';
  panel.title.icon = gpuIcon;
  panel.title.caption = 'GPUs';
  let area = GpuDefaults.area;

  const sessions = app.serviceManager.sessions;
  const setSessions = () => model.setSessions(sessions.running());
  sessions.runningChanged.connect(setSessions);
  setSessions();

  const statusItem = new GpuStatusItem(model);
  model.changed.connect(() => {
    panel.refresh();
    statusItem.refresh();
  });

  // The charts' canvas colours come from the theme: redraw them when it changes.
  themes?.themeChanged.connect(() => requestAnimationFrame(() => panel.themeChanged()));

  const showConnection = () => panel.setServicesStatus(model.servicesStatus, model.servicesMessage);
  model.connectionChanged.connect(showConnection);
  showConnection();

  const show = () => {
    if (!panel.isAttached) app.shell.add(panel, area, { rank: 900 });
    app.shell.activateById(panel.id);
  };
  app.commands.addCommand(CommandIDs.open, {
    label: 'GPU Panel',
    caption: 'Open the warren GPU panel',
    icon: gpuIcon,
    execute: show
  });
  palette?.addItem({ command: CommandIDs.open, category: 'Warren' });

  const applySettings = (loaded: ISettingRegistry.ISettings) => {
    const s = settingsOf<GpuSettings>(loaded, GpuDefaults);
    model.historySeconds = s.historySeconds;
    model.intervalMs = s.intervalMs;
    if (s.area !== area) {
      area = s.area;
      if (panel.isAttached) {
        panel.parent = null;
        app.shell.add(panel, area, { rank: 900 });
      }
    }
  };

  void app.restored.then(async () => {
    const deferred = performance.now();
    if (settings) {
      try {
        const loaded = await settings.load(PLUGIN_ID);
        applySettings(loaded);
        loaded.changed.connect(applySettings);
      } catch (error) {
        console.warn('warren: GPU settings could not be loaded', error);
      }
    }
    app.shell.add(panel, area, { rank: 900 });
    restorer?.add(panel, 'warren-gpu');
    // A click names the next GPU (when there are several) and shows it in the panel.
    statusItem.node.onclick = () => {
      const gpu =
        (model.snapshot?.gpus.length ?? 0) > 1 ? model.nextStatusGpu() : model.statusGpu();
      statusItem.refresh();
      show();
      panel.refresh();
      if (gpu) panel.reveal(gpu.uuid);
    };
    if (statusBar)
      statusBar.registerStatusItem(PLUGIN_ID, { item: statusItem, align: 'left', rank: 5 });
    // Notebook 7 has no status bar: the item goes in its top bar instead.
    else app.shell.add(statusItem, 'top', { rank: 1000 });
    // The comm (and so the services kernel) starts once the page is up, not during activation.
    model.connect();
    performance.measure('warren:gpu after restore', { start: deferred });
  });
  // bench/lab-load.ts reads these measures.
  performance.measure('warren:gpu activate', { start: started });
}

export default plugin;
