import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { INotebookTracker } from '@jupyterlab/notebook';
import type { Kernel } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { isWarrenKernelName } from '../contract';
import { ReplayDefaults } from '../contract/settings';
import type { ReplaySettings } from '../contract/settings';
import { ReplayModel } from '../replay/model';
import { settingsOf } from '../settings';

const PLUGIN_ID = 'warren:replay';

/**
 * Output made while the page was away: each notebook panel on a warren
 * kernel gets a ReplayModel, which asks the kernel's journal whenever the
 * panel's kernel connection (re)connects: on open, on reload, after a dropped
 * websocket.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Shows the output a warren cell produced while its page was closed or reloaded, and streams the rest.',
  requires: [INotebookTracker],
  optional: [ISettingRegistry],
  autoStart: true,
  activate: activateReplay
};

function activateReplay(
  _app: JupyterFrontEnd,
  tracker: INotebookTracker,
  registry: ISettingRegistry | null
): void {
  // bench/lab-load.ts adds up every warren plugin's activate measure.
  const started = performance.now();
  let settings: Required<ReplaySettings> = ReplayDefaults;
  // Only limits the user set go to the kernel: unset, the kernel's own
  // (WARREN_JOURNAL_MB and WARREN_JOURNAL_EXECUTION_MB, else the defaults) stand.
  let limits: Private.Limits | null = null;
  if (registry) {
    void registry
      .load(PLUGIN_ID)
      .then((loaded) => {
        const apply = () => {
          settings = settingsOf<ReplaySettings>(loaded, ReplayDefaults);
          limits = Private.userLimits(loaded.user as Partial<ReplaySettings>);
        };
        apply();
        loaded.changed.connect(apply);
      })
      .catch((error) => console.warn('warren: replay settings could not be loaded', error));
  }
  tracker.widgetAdded.connect((_, panel) =>
    Private.follow(
      panel,
      () => settings,
      () => limits
    )
  );
  performance.measure('warren:replay activate', { start: started });
}

namespace Private {
  export type Limits = { executionMB?: number; totalMB?: number };

  export function userLimits(user: Partial<ReplaySettings>): Limits | null {
    const out: Limits = {};
    if (typeof user.executionMB === 'number') out.executionMB = user.executionMB;
    if (typeof user.totalMB === 'number') out.totalMB = user.totalMB;
    return Object.keys(out).length > 0 ? out : null;
  }

  export function isWarren(kernel: Kernel.IKernelConnection | null | undefined): boolean {
    return !!kernel && isWarrenKernelName(kernel.name);
  }

  /** Keeps one ReplayModel for the panel's current warren kernel and syncs it on each connect. */
  export function follow(
    panel: NotebookPanel,
    settings: () => Required<ReplaySettings>,
    limits: () => Limits | null
  ): void {
    let model: ReplayModel | null = null;
    const sync = () => {
      const kernel = panel.sessionContext.session?.kernel;
      if (!settings().enabled || !isWarren(kernel) || !panel.context.model) {
        model?.dispose();
        model = null;
        return;
      }
      if (kernel!.connectionStatus !== 'connected') return;
      if (!model || model.isDisposed || model.kernel !== kernel) {
        model?.dispose();
        model = new ReplayModel({
          kernel: kernel!,
          notebook: panel.context.model,
          savedAt: () => {
            const saved = panel.context.contentsModel?.last_modified;
            const t = saved ? Date.parse(saved) : NaN;
            return Number.isFinite(t) ? t : null;
          },
          limits
        });
      }
      void model.sync().catch((error: unknown) => console.warn('warren: replay failed', error));
    };
    panel.sessionContext.connectionStatusChanged.connect(sync);
    panel.sessionContext.kernelChanged.connect(sync);
    void panel.context.ready.then(() => panel.sessionContext.ready).then(sync);
    panel.disposed.connect(() => {
      panel.sessionContext.connectionStatusChanged.disconnect(sync);
      panel.sessionContext.kernelChanged.disconnect(sync);
      model?.dispose();
      model = null;
    });
  }
}

export default plugin;
