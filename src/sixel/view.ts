import { MimeModel } from '@jupyterlab/rendermime';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { PanelLayout, Widget } from '@lumino/widgets';
import { splitSixel } from '../contract/sixel';
import type { SixelModel, SixelPicture } from './model';

const IMAGE_CLASS = 'jp-WarrenSixel-image';
const PLACEHOLDER_CLASS = 'jp-WarrenSixel-placeholder';

/** An <img> of a decoded picture, or a placeholder saying why there is none. */
export function pictureNode(picture: SixelPicture | null, title = 'sixel image'): HTMLElement {
  if (!picture || !picture.ok) {
    const note = document.createElement('div');
    note.className = PLACEHOLDER_CLASS;
    note.textContent = `[${picture ? picture.reason : 'not a sixel image'}]`;
    return note;
  }
  const canvas = document.createElement('canvas');
  canvas.width = picture.width;
  canvas.height = picture.height;
  const context = canvas.getContext('2d');
  const img = document.createElement('img');
  img.className = IMAGE_CLASS;
  img.alt = `${title} ${picture.width}x${picture.height}`;
  img.width = picture.width;
  img.height = picture.height;
  if (context) {
    context.putImageData(new ImageData(picture.rgba, picture.width, picture.height), 0, 0);
    // A data URL, not a blob URL: nothing to revoke when the output goes away.
    img.src = canvas.toDataURL('image/png');
  }
  return img;
}

/** The `image/x-sixel` renderer: the data is one sixel image, with or without its ESC P ... ESC \. */
export class RenderedSixel extends Widget implements IRenderMime.IRenderer {
  constructor(
    private readonly model: SixelModel,
    private readonly mimeType: string
  ) {
    super();
    this.addClass('jp-WarrenSixel');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[this.mimeType];
    const picture = typeof data === 'string' ? await this.model.decode(data) : null;
    this.node.replaceChildren(pictureNode(picture));
  }
}

/**
 * Stream output (stdout or stderr) of any kernel with the sixel images it
 * holds drawn in place of their escape codes. The text around them goes to
 * the renderer JupyterLab would have used, one child per text run.
 */
export class SixelStreamRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(options: SixelStreamRenderer.IOptions) {
    super();
    this.options = options;
    this.layout = new PanelLayout();
    this.addClass('jp-WarrenSixel-stream');
    // As on JupyterLab's own renderers: selectors and tests find stream outputs by it.
    this.node.dataset.mimeType = options.rendererOptions.mimeType;
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const generation = ++this.generation;
    const mime = this.options.rendererOptions.mimeType;
    const data = model.data[mime];
    const text = typeof data === 'string' ? data : Array.isArray(data) ? data.join('') : '';
    const layout = this.layout as PanelLayout;
    if (!text.includes('\x1bP')) {
      // The common case: exactly JupyterLab's renderer, kept across updates as the output area does.
      if (!this.plain) {
        this.clear();
        this.plain = this.options.fallback.createRenderer(this.options.rendererOptions);
        layout.addWidget(this.plain);
      }
      return this.plain.renderModel(model);
    }
    const children: Widget[] = [];
    let afterImage = false;
    for (const segment of splitSixel(text)) {
      if (segment.kind === 'text') {
        // An image is a block: the line end that follows it (SixelLineEnds puts one there) is its own.
        const rest =
          afterImage && segment.text.startsWith('\n') ? segment.text.slice(1) : segment.text;
        afterImage = false;
        if (!rest) continue;
        const renderer = this.options.fallback.createRenderer(this.options.rendererOptions);
        await renderer.renderModel(
          new MimeModel({
            data: { [mime]: rest },
            trusted: model.trusted,
            metadata: model.metadata
          })
        );
        children.push(renderer);
      } else {
        const picture =
          segment.kind === 'sixel'
            ? await this.options.model.decode(segment.body)
            : { ok: false as const, reason: 'receiving a sixel image ...' };
        children.push(new Widget({ node: Private.wrap(pictureNode(picture)) }));
        afterImage = true;
      }
      if (generation !== this.generation) {
        children.forEach((w) => w.dispose());
        return; // a newer update took over while this one decoded
      }
    }
    this.clear();
    for (const child of children) layout.addWidget(child);
  }

  private clear(): void {
    this.plain = null;
    const layout = this.layout as PanelLayout;
    while (layout.widgets.length > 0) layout.widgets[0].dispose();
  }

  private readonly options: SixelStreamRenderer.IOptions;
  private plain: IRenderMime.IRenderer | null = null;
  private generation = 0;
}

export namespace SixelStreamRenderer {
  export interface IOptions {
    model: SixelModel;
    /** The factory JupyterLab had for this stream mime type. */
    fallback: IRenderMime.IRendererFactory;
    rendererOptions: IRenderMime.IRendererOptions;
  }
}

namespace Private {
  export function wrap(node: HTMLElement): HTMLElement {
    const div = document.createElement('div');
    div.className = 'jp-WarrenSixel';
    div.appendChild(node);
    return div;
  }
}
