import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { INotebookTracker } from '@jupyterlab/notebook';
import type { Kernel } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { CommTargets, isWarrenKernelName } from '../contract';
import { TerminalWidthDefaults } from '../contract/settings';
import type { TerminalWidthSettings } from '../contract/settings';
import type { TerminalWidth } from '../contract/terminal';
import { settingsOf } from '../settings';
import { measureColumns } from '../terminal/width';

const PLUGIN_ID = 'warren:terminal-width';

/** How long a resize must settle before the new width goes to the kernel. */
const SETTLE_MS = 150;

/**
 * Each notebook on a warren kernel tells it how wide its output is
 * (`warren.terminal`): when the kernel connects or restarts, and when the
 * notebook is resized. The kernel gives `!` commands a terminal that wide.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: "Tells a warren kernel how wide the notebook's output is, so commands draw to fit.",
  requires: [INotebookTracker],
  optional: [ISettingRegistry],
  autoStart: true,
  activate: activateTerminalWidth
};

function activateTerminalWidth(
  _app: JupyterFrontEnd,
  tracker: INotebookTracker,
  registry: ISettingRegistry | null
): void {
  // bench/lab-load.ts adds up every warren plugin's activate measure.
  const started = performance.now();
  let settings: Required<TerminalWidthSettings> = TerminalWidthDefaults;
  if (registry) {
    void registry
      .load(PLUGIN_ID)
      .then((loaded) => {
        const apply = () =>
          (settings = settingsOf<TerminalWidthSettings>(loaded, TerminalWidthDefaults));
        apply();
        loaded.changed.connect(apply);
      })
      .catch((error) => console.warn('warren: terminal width settings could not be loaded', error));
  }
  tracker.widgetAdded.connect((_, panel) => Private.follow(panel, () => settings.enabled));
  performance.measure('warren:terminal-width activate', { start: started });
}

namespace Private {
  function isWarren(kernel: Kernel.IKernelConnection | null | undefined): boolean {
    return !!kernel && isWarrenKernelName(kernel.name);
  }

  /** Sends the panel's output width to its warren kernel whenever either changes. */
  export function follow(panel: NotebookPanel, enabled: () => boolean): void {
    let comm: Kernel.IComm | null = null;
    let commKernel: Kernel.IKernelConnection | null = null;
    let sent: number | null = null;
    let timer = 0;
    const send = () => {
      const kernel = panel.sessionContext.session?.kernel;
      if (!enabled() || !isWarren(kernel) || kernel!.connectionStatus !== 'connected') return;
      const columns = measureColumns(panel.content.node);
      if (columns === null) return;
      const width: TerminalWidth = { columns };
      try {
        // A restart disposes the page's comms: the new kernel is told afresh.
        if (!comm || comm.isDisposed || commKernel !== kernel) {
          comm = kernel!.createComm(CommTargets.terminal);
          commKernel = kernel!;
          comm.onMsg = (msg) =>
            console.warn('warren: the kernel refused a terminal width', msg.content.data);
          comm.open({ ...width });
        } else if (columns !== sent) comm.send({ ...width });
        sent = columns;
      } catch (error) {
        comm = null;
        console.warn('warren: the terminal width could not be sent', error);
      }
    };
    const later = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(send, SETTLE_MS);
    };
    const observer = new ResizeObserver(later);
    observer.observe(panel.content.node);
    panel.sessionContext.connectionStatusChanged.connect(later);
    panel.sessionContext.kernelChanged.connect(later);
    panel.sessionContext.statusChanged.connect(later);
    panel.disposed.connect(() => {
      window.clearTimeout(timer);
      observer.disconnect();
      panel.sessionContext.connectionStatusChanged.disconnect(later);
      panel.sessionContext.kernelChanged.disconnect(later);
      panel.sessionContext.statusChanged.disconnect(later);
      comm = null;
      commKernel = null;
    });
  }
}

export default plugin;
