import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { SixelStreamDefaults } from '../contract/settings';
import type { SixelStreamSettings } from '../contract/settings';
import { settingsOf } from '../settings';
import { SixelModel } from '../sixel/model';
import { SixelStreamRenderer } from '../sixel/view';

const PLUGIN_ID = 'warren:sixel-stream';

/** The mime types JupyterLab gives stream outputs. */
const STREAM_TYPES = ['application/vnd.jupyter.stdout', 'application/vnd.jupyter.stderr'];

/**
 * Sixel images in stream output of any kernel (an ipykernel `!img2sixel x.png`
 * included) drawn in place of their escape codes. Replaces the stream mime
 * types' factory with one that wraps JupyterLab's own, which still renders
 * every piece of text. Notebooks clone the registry when they open, so this
 * runs at activation, before any notebook exists.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Shows sixel images in the stdout / stderr of any kernel instead of escape codes.',
  requires: [IRenderMimeRegistry],
  optional: [ISettingRegistry],
  autoStart: true,
  activate: activateSixelStream
};

function activateSixelStream(
  app: JupyterFrontEnd,
  registry: IRenderMimeRegistry,
  settings: ISettingRegistry | null
): void {
  const model = new SixelModel();
  let enabled = SixelStreamDefaults.enabled;
  for (const mimeType of STREAM_TYPES) {
    const fallback = registry.getFactory(mimeType);
    if (!fallback) continue;
    const factory: IRenderMime.IRendererFactory = {
      safe: fallback.safe,
      mimeTypes: [mimeType],
      defaultRank: fallback.defaultRank,
      createRenderer: (options) =>
        enabled
          ? new SixelStreamRenderer({ model, fallback, rendererOptions: options })
          : fallback.createRenderer(options)
    };
    registry.addFactory(factory, registry.getRank(mimeType));
  }
  if (settings) {
    void settings
      .load(PLUGIN_ID)
      .then((loaded) => {
        const apply = () =>
          ({ enabled } = settingsOf<SixelStreamSettings>(loaded, SixelStreamDefaults));
        apply();
        loaded.changed.connect(apply);
      })
      .catch((error) => console.warn('warren: sixel stream settings could not be loaded', error));
  }
}

export default plugin;
