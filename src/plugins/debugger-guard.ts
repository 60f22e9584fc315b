import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Debugger } from '@jupyterlab/debugger';

/**
 * JupyterLab 4.6.4's debugger plugins connect `IDebugger.displayModules` to
 * every execute_reply of the current notebook, console or file
 * (`handler.executionDone.connect(service.displayModules.bind(service))`), and
 * the method throws "No active debugger session" when the kernel has no
 * debugger, as warren's kernels have not: an uncaught error in the page for
 * every cell run. This makes the call a no-op where there is no session.
 *
 * It patches the class, not the instance, and activates with no dependencies:
 * the debugger plugins bind the method when they activate, after the service
 * they require, so the patch must already be in place by then.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'warren:debugger-guard',
  description:
    "Keeps JupyterLab's debugger from throwing on every cell of a kernel without a debugger.",
  requires: [],
  autoStart: true,
  activate: activateDebuggerGuard
};

function activateDebuggerGuard(_app: JupyterFrontEnd): void {
  // bench/lab-load.ts adds up every warren plugin's activate measure.
  const started = performance.now();
  const proto = Debugger.Service.prototype;
  const original = proto.displayModules;
  if (!Private.patched.has(original)) {
    const guarded = async function (this: Debugger.Service): Promise<void> {
      if (!this.session) return;
      return original.call(this);
    };
    Private.patched.add(guarded);
    proto.displayModules = guarded;
  }
  performance.measure('warren:debugger-guard activate', { start: started });
}

namespace Private {
  export const patched = new WeakSet<object>();
}

export default plugin;
