import type { OutputSink } from '../engine';
import type { SixelDecoder } from './decode';
import { encodePng } from './png';

/** How a DCS string ended: with its `ESC \`, with the stream, or past the size cap. */
export type DcsEnd = 'complete' | 'truncated' | 'overflow';

/**
 * Turns the sixel images in a shell command's output into `image/png`
 * display data, in their place between the text around them, so a saved
 * notebook shows them in any viewer. What cannot be shown (too big, cut
 * short, malformed) leaves a placeholder and a note on stderr instead.
 */
export class SixelOutput {
  constructor(private readonly decoder: SixelDecoder) {}

  show(body: string, sink: OutputSink, end: DcsEnd = 'complete'): void {
    if (end === 'overflow') {
      // Only the head of the string was kept.
      if (this.decoder.decode(body.slice(0, 64)) === null) return;
      this.placeholder(sink, null, null, 'it is longer than the 64 MB a terminal string may take');
      return;
    }
    const decoded = this.decoder.decode(body);
    if (decoded === null) return; // another DCS string: nothing to show, as in a terminal
    if (!decoded.ok) {
      const cut = end === 'truncated' ? 'the output ended before its ESC \\, and ' : '';
      this.placeholder(sink, decoded.width, decoded.height, cut + decoded.reason);
      return;
    }
    const { width, height, pixels } = decoded;
    const png = encodePng(pixels, width, height);
    const truncated = end === 'truncated';
    sink.display({
      'image/png': png.toString('base64'),
      'text/plain': `<sixel image ${width}x${height}${truncated ? ', cut short' : ''}>`
    });
    if (truncated) {
      sink.stream(
        'stderr',
        `warren: a sixel image was cut short (the output ended before its ESC \\); shown as far as it arrived\n`
      );
    }
  }

  private placeholder(
    sink: OutputSink,
    width: number | null,
    height: number | null,
    reason: string
  ): void {
    const size = width !== null && height !== null ? ` ${width}x${height}` : '';
    sink.display({ 'text/plain': `[sixel image${size} not shown]` });
    sink.stream('stderr', `warren: a sixel image was not shown: ${reason}\n`);
  }
}
