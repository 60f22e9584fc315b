import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import type { Cell, CodeCell } from '@jupyterlab/cells';
import type { Notebook } from '@jupyterlab/notebook';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { isWarrenKernelName } from '../contract';

const PLUGIN_ID = 'warren:stale-input';

/** JupyterLab's class for an output area's input box (@jupyterlab/outputarea). */
const STDIN_ITEM = 'jp-OutputArea-stdin-item';
/** Set on the box once it has been answered, while it goes. */
const STDIN_HIDING = 'jp-OutputArea-stdin-hiding';

/**
 * An input box left in a cell of a warren notebook after the cell ended goes
 * away, and with it JupyterLab's pending-input guard ("Cell not executed due
 * to pending input"). warren withdraws an input request when the read it was
 * for ends unanswered (a timeout, the command ended); the protocol has no
 * message to say so, but a request that has replied can read nothing more,
 * so its box is moot. JupyterLab itself resets the output area's own flag at
 * that point (OutputArea's future.done), not the box or the kernel's guard.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Removes the input box of a warren cell that has ended, so the next cell can run.',
  requires: [INotebookTracker],
  autoStart: true,
  activate: activateStaleInput
};

function activateStaleInput(_app: JupyterFrontEnd, tracker: INotebookTracker): void {
  // bench/lab-load.ts adds up every warren plugin's activate measure.
  const started = performance.now();
  NotebookActions.executed.connect((_, { notebook, cell }) =>
    Private.dropStaleInput(tracker, notebook, cell)
  );
  performance.measure('warren:stale-input activate', { start: started });
}

namespace Private {
  export function dropStaleInput(tracker: INotebookTracker, notebook: Notebook, cell: Cell): void {
    if (cell.model.type !== 'code') return;
    const kernel = tracker.find((panel) => panel.content === notebook)?.sessionContext.session
      ?.kernel;
    if (!kernel || !isWarrenKernelName(kernel.name)) return;
    const stale = (cell as CodeCell).outputArea.widgets.filter(
      (w) => w.hasClass(STDIN_ITEM) && !w.hasClass(STDIN_HIDING)
    );
    if (stale.length === 0) return;
    for (const box of stale) box.dispose();
    kernel.removeInputGuard();
  }
}

export default plugin;
