import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { WarrenServices } from '../comm/session';
import { IWarrenServices } from '../tokens';

const PLUGIN_ID = 'warren:services';

namespace CommandIDs {
  export const restart = 'warren:restart-services';
}

/** The shared background warren session; panels open comms through it. */
const plugin: JupyterFrontEndPlugin<IWarrenServices> = {
  id: PLUGIN_ID,
  description: 'Starts or reuses one background warren kernel per server and opens comms to it.',
  requires: [],
  optional: [ICommandPalette, ISettingRegistry],
  provides: IWarrenServices,
  autoStart: true,
  activate: activateServices
};

function activateServices(
  app: JupyterFrontEnd,
  palette: ICommandPalette | null,
  settings: ISettingRegistry | null
): IWarrenServices {
  const started = performance.now();
  const services = new WarrenServices({ sessions: app.serviceManager.sessions });
  // Settings cannot change the session path of an already running kernel; they
  // are read so the schema shows in the editor, and apply on the next page load.
  if (settings) void settings.load(PLUGIN_ID).catch(() => undefined);
  app.commands.addCommand(CommandIDs.restart, {
    label: 'Restart the Warren Services Kernel',
    caption: 'Restart the background kernel that feeds the warren panels',
    execute: () => services.restart()
  });
  palette?.addItem({ command: CommandIDs.restart, category: 'Warren' });
  window.addEventListener('beforeunload', () => services.dispose());
  // bench/lab-load.ts reads this measure.
  performance.measure('warren:services activate', { start: started });
  return services;
}

export default plugin;
