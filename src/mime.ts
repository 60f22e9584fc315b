/**
 * The mime renderer entry (package.json `jupyterlab.mimeExtension`): shows
 * `image/x-sixel` data from any kernel or tool, and opens `.six` / `.sixel`
 * files as images. Uses no tokens.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { MimeTypes } from './contract';
import { SixelModel } from './sixel/model';
import { RenderedSixel } from './sixel/view';

// A mime extension has no activate of its own: JupyterLab registers its factory
// and file type. What warren runs at load is this module's body, measured as its
// activate so that bench/lab-load.ts's total counts every warren extension.
const started = performance.now();
const model = new SixelModel();

const rendererFactory: IRenderMime.IRendererFactory = {
  // Sixel is pixels: nothing in it can run.
  safe: true,
  mimeTypes: [MimeTypes.sixel],
  defaultRank: 60,
  createRenderer: (options) => new RenderedSixel(model, options.mimeType)
};

const extension: IRenderMime.IExtension = {
  id: 'warren:sixel-mime',
  description: 'Renders image/x-sixel outputs and opens .six / .sixel files as images.',
  rendererFactory,
  rank: 60,
  dataType: 'string',
  fileTypes: [
    {
      name: 'sixel',
      displayName: 'Sixel image',
      mimeTypes: [MimeTypes.sixel],
      extensions: ['.six', '.sixel'],
      fileFormat: 'text'
    }
  ],
  documentWidgetFactoryOptions: {
    name: 'Sixel Image',
    primaryFileType: 'sixel',
    fileTypes: ['sixel'],
    defaultFor: ['sixel']
  }
};

performance.measure('warren:sixel-mime activate', { start: started });

export default extension;
