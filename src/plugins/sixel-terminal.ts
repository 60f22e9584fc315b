import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITerminalTracker } from '@jupyterlab/terminal';
import type { ITerminal } from '@jupyterlab/terminal';
import type { MainAreaWidget } from '@jupyterlab/apputils';
import { ImageAddon } from '@xterm/addon-image';
import type { IImageAddonOptions } from '@xterm/addon-image';
import { SixelTerminalDefaults } from '../contract/settings';
import type { SixelTerminalSettings } from '../contract/settings';
import { settingsOf } from '../settings';

const PLUGIN_ID = 'warren:sixel-terminal';

/** What this plugin needs of the xterm.js Terminal that JupyterLab's terminal widget holds. */
interface XtermLike {
  loadAddon(addon: ImageAddon): void;
}

/**
 * Sixel images in the Lab's terminals: xterm.js's image addon is loaded into
 * each terminal the Lab opens, so `img2sixel` or `mrpeek` draw pictures there
 * as in any sixel terminal (the addon also adds sixel to the terminal's
 * device attributes, which such programs ask for).
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Loads the xterm.js image addon (sixel) into every Lab terminal.',
  requires: [ITerminalTracker],
  optional: [ISettingRegistry],
  autoStart: true,
  activate: activateSixelTerminal
};

function activateSixelTerminal(
  app: JupyterFrontEnd,
  tracker: ITerminalTracker,
  settings: ISettingRegistry | null
): void {
  // bench/lab-load.ts adds up every warren plugin's activate measure.
  const started = performance.now();
  let options = SixelTerminalDefaults;
  const loaded = settings
    ? settings
        .load(PLUGIN_ID)
        .then((s) => {
          options = settingsOf<SixelTerminalSettings>(s, SixelTerminalDefaults);
        })
        .catch((error) =>
          console.warn('warren: sixel terminal settings could not be loaded', error)
        )
    : Promise.resolve();
  const attach = (widget: MainAreaWidget<ITerminal.ITerminal>) => {
    const terminal = widget.content;
    void Promise.all([Private.readyOf(terminal), loaded]).then(() => {
      if (!options.enabled || terminal.isDisposed) return;
      const xterm = Private.xtermOf(terminal);
      if (!xterm) {
        console.warn(
          'warren: no xterm.js instance found in the terminal widget; sixel is off there'
        );
        return;
      }
      const addonOptions: IImageAddonOptions = {
        pixelLimit: options.pixelLimit,
        storageLimit: options.storageLimit,
        sixelSizeLimit: options.sixelSizeLimit,
        showPlaceholder: options.showPlaceholder
      };
      xterm.loadAddon(new ImageAddon(addonOptions));
      terminal.node.dataset.warrenSixel = 'on';
    });
  };
  tracker.forEach(attach);
  tracker.widgetAdded.connect((_, widget) => attach(widget));
  performance.measure('warren:sixel-terminal activate', { start: started });
}

namespace Private {
  /**
   * @jupyterlab/terminal 4.x keeps its xterm.js Terminal in the private
   * `_term` (created before `ready` resolves). Read it structurally and check
   * its shape, so a future rename turns sixel off instead of throwing.
   */
  export function readyOf(terminal: ITerminal.ITerminal): Promise<void> {
    const ready = (terminal as unknown as { ready?: unknown }).ready;
    return ready instanceof Promise ? ready.then(() => undefined) : Promise.resolve();
  }

  export function xtermOf(terminal: ITerminal.ITerminal): XtermLike | null {
    const term = (terminal as unknown as { _term?: unknown })._term;
    if (
      typeof term === 'object' &&
      term !== null &&
      typeof (term as { loadAddon?: unknown }).loadAddon === 'function'
    ) {
      return term as XtermLike;
    }
    return null;
  }
}

export default plugin;
