import { ILayoutRestorer } from '@jupyterlab/application';
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, showDialog } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';
import { MountsModel } from '../mounts/model';
import { MountsPanel } from '../mounts/view';
import { MountsDefaults } from '../contract/settings';
import type { MountsSettings } from '../contract/settings';
import { settingsOf } from '../settings';
import { IWarrenServices } from '../tokens';

const PLUGIN_ID = 'warren:mounts';

namespace CommandIDs {
  export const open = 'warren:open-mounts';
  export const mount = 'warren:mount';
  export const addToolbox = 'warren:add-toolbox';
}

const mountsIcon = new LabIcon({
  name: 'warren:mounts',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<path d="M4 5h16v5H4zm2 2v1h2V7zM4 14h16v5H4zm2 2v1h2v-1z"/></g></svg>'
});

/** The Mounts sidebar, talking to the `warren.mounts` comm of the services kernel. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Mounts (rclone, sshfs, bind, NFS) and tool volumes: list, add, remove, status, logs.',
  requires: [IWarrenServices],
  optional: [ISettingRegistry, ICommandPalette, ILayoutRestorer],
  autoStart: true,
  activate: activateMounts
};

function activateMounts(
  app: JupyterFrontEnd,
  services: IWarrenServices,
  settings: ISettingRegistry | null,
  palette: ICommandPalette | null,
  restorer: ILayoutRestorer | null
): void {
  // bench/lab-load.ts adds up every warren plugin's activate measure.
  const started = performance.now();
  const model = new MountsModel({ services });
  const panel = new MountsPanel({
    model,
    mount: (spec) => model.mount(spec),
    unmount: (mountpoint) => model.unmount(mountpoint),
    acceptToolbox: (name) => model.acceptToolbox(name),
    declineToolbox: (name) => model.removeToolbox(name),
    addToolbox: (toolbox) => model.addToolbox(toolbox),
    removeToolbox: (name) => model.removeToolbox(name),
    confirm: async (title, body, action) =>
      (
        await showDialog({
          title,
          body,
          buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: action })]
        })
      ).button.accept
  });
  panel.id = 'jp-warren-mounts';
  panel.title.icon = mountsIcon;
  panel.title.caption = 'Mounts';
  let area = MountsDefaults.area;

  model.changed.connect(() => panel.refresh());
  const showConnection = () => panel.setServicesStatus(model.servicesStatus, model.servicesMessage);
  model.connectionChanged.connect(showConnection);
  showConnection();

  const show = () => {
    if (!panel.isAttached) app.shell.add(panel, area, { rank: 850 });
    app.shell.activateById(panel.id);
    model.connect();
  };
  app.commands.addCommand(CommandIDs.open, {
    label: 'Mounts Panel',
    caption: 'Open the warren Mounts panel',
    icon: mountsIcon,
    execute: show
  });
  app.commands.addCommand(CommandIDs.mount, {
    label: 'Mount a Folder or Remote…',
    caption: 'Mount an rclone remote, an sshfs folder, a local folder or NFS (warren Mounts panel)',
    icon: mountsIcon,
    execute: () => {
      show();
      panel.focusMountForm();
    }
  });
  app.commands.addCommand(CommandIDs.addToolbox, {
    label: 'Add a Toolbox to PATH…',
    caption: "Put a tool folder's bin on PATH in every new kernel (warren Mounts panel)",
    icon: mountsIcon,
    execute: () => {
      show();
      panel.focusToolboxForm();
    }
  });
  for (const command of [CommandIDs.open, CommandIDs.mount, CommandIDs.addToolbox])
    palette?.addItem({ command, category: 'Warren' });

  void app.restored.then(async () => {
    if (settings) {
      try {
        const loaded = await settings.load(PLUGIN_ID);
        area = settingsOf<MountsSettings>(loaded, MountsDefaults).area;
      } catch (error) {
        console.warn('warren: Mounts settings could not be loaded', error);
      }
    }
    app.shell.add(panel, area, { rank: 850 });
    restorer?.add(panel, 'warren-mounts');
    model.connect();
  });
  performance.measure('warren:mounts activate', { start: started });
}

export default plugin;
