import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import type { CodeEditor } from '@jupyterlab/codeeditor';
import { EditorExtensionRegistry, IEditorExtensionRegistry } from '@jupyterlab/codemirror';
import { isWarrenKernelName } from '../contract';
import { shellLines } from '../editor/shell-lines';

const PLUGIN_ID = 'warren:shell-highlight';

/**
 * `!` lines, magics and `%%bash` cells of warren notebooks highlighted as
 * shell in the cell editor, over the TypeScript highlighting of the rest.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: "Highlights the shell in warren notebooks' cells (! lines, %%bash) as shell.",
  requires: [IEditorExtensionRegistry],
  autoStart: true,
  activate: activateShellHighlight
};

function activateShellHighlight(_app: JupyterFrontEnd, registry: IEditorExtensionRegistry): void {
  // bench/lab-load.ts adds up every warren plugin's activate measure.
  const started = performance.now();
  registry.addExtension({
    name: PLUGIN_ID,
    factory: ({ model }) =>
      EditorExtensionRegistry.createImmutableExtension(
        shellLines(() => Private.isWarrenCell(model))
      )
  });
  performance.measure('warren:shell-highlight activate', { start: started });
}

namespace Private {
  /**
   * Whether the editor's model is a cell of a notebook whose kernel is warren.
   * Asked on each edit: a new notebook gets its kernelspec after its editors.
   */
  export function isWarrenCell(model: CodeEditor.IModel): boolean {
    const shared = model.sharedModel as { notebook?: { getMetadata(key: string): unknown } | null };
    const spec = shared.notebook?.getMetadata('kernelspec');
    const name =
      typeof spec === 'object' && spec !== null ? (spec as { name?: unknown }).name : undefined;
    return isWarrenKernelName(name);
  }
}

export default plugin;
