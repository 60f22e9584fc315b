import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { SixelStreamDefaults } from '../contract/settings';
import type { SixelStreamSettings } from '../contract/settings';
import { settingsOf } from '../settings';
import { SixelLineEnds } from '../sixel/lines';
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
 * runs at activation, before any notebook exists. In notebooks, each
 * execution's stream text also passes SixelLineEnds before the output area
 * applies its carriage returns (which would write text over an image's codes).
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Shows sixel images in the stdout / stderr of any kernel instead of escape codes.',
  requires: [IRenderMimeRegistry],
  optional: [ISettingRegistry, INotebookTracker],
  autoStart: true,
  activate: activateSixelStream
};

function activateSixelStream(
  app: JupyterFrontEnd,
  registry: IRenderMimeRegistry,
  settings: ISettingRegistry | null,
  notebooks: INotebookTracker | null
): void {
  // bench/lab-load.ts adds up every warren plugin's activate measure.
  const started = performance.now();
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
  notebooks?.widgetAdded.connect((_, panel) => {
    const context = panel.sessionContext;
    Private.watch(context.session?.kernel ?? null, () => enabled);
    context.kernelChanged.connect((_, change) => Private.watch(change.newValue, () => enabled));
  });
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
  performance.measure('warren:sixel-stream activate', { start: started });
}

namespace Private {
  const watched = new WeakSet<Kernel.IKernelConnection>();

  /**
   * Gives each execute request on `kernel` a message hook that passes its
   * stream text through SixelLineEnds. A hook sees an IOPub message before
   * the output area does; the kernel sets up the request's future right
   * after it announces the request, so the hook is added a microtask later.
   */
  export function watch(kernel: Kernel.IKernelConnection | null, enabled: () => boolean): void {
    if (!kernel || watched.has(kernel)) return;
    watched.add(kernel);
    kernel.anyMessage.connect((_, { msg, direction }) => {
      if (direction !== 'send' || msg.header.msg_type !== 'execute_request' || !enabled()) return;
      const id = msg.header.msg_id;
      const streams = new Map<string, SixelLineEnds>();
      void Promise.resolve().then(() =>
        kernel.registerMessageHook(id, (message: KernelMessage.IIOPubMessage) => {
          if (message.header.msg_type === 'stream') {
            const content = (message as KernelMessage.IStreamMsg).content;
            let ends = streams.get(content.name);
            if (!ends) streams.set(content.name, (ends = new SixelLineEnds()));
            content.text = ends.push(content.text);
          }
          return true;
        })
      );
    });
  }
}

export default plugin;
