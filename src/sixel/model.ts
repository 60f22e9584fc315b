// The page's only importer of the `sixel` package (the kernel's is
// kernel/engines/sixel/decode.ts). Its decode-only entry: the package's main
// entry is CommonJS and also loads the encoder and quantizer, which the page
// never uses and the bundler cannot leave out.
import { DecoderAsync, toRGBA8888 } from 'sixel/lib/bundle_decode';
import type { Decoder } from 'sixel/lib/bundle_decode';
import { parseSixelHeader, SixelLimits, sixelRefusal } from '../contract/sixel';

/** A decoded image: RGBA bytes, ready for an ImageData. */
export type SixelPicture =
  | { ok: true; width: number; height: number; rgba: Uint8ClampedArray<ArrayBuffer> }
  | { ok: false; reason: string };

/**
 * Decodes sixel in the page with the `sixel` library's wasm decoder (compiled
 * asynchronously: the main thread may not compile wasm synchronously). The
 * same limits as the kernel's apply, so a memory bomb in a notebook made
 * elsewhere is a placeholder, not a frozen tab.
 */
export class SixelModel {
  private decoder: Promise<Decoder> | null = null;
  /** Stream outputs re-render as they grow: keep the last few images instead of decoding again. */
  private readonly cache = new Map<string, SixelPicture>();

  /** Null when `body` (with or without its ESC P ... ESC \) is not a sixel image. */
  async decode(body: string): Promise<SixelPicture | null> {
    const text = Private.strip(body);
    const cached = this.cache.get(text);
    if (cached) return cached;
    const header = parseSixelHeader(text);
    if (!header) return null;
    const refusal = sixelRefusal(header, text.length);
    const picture = refusal
      ? { ok: false as const, reason: `sixel image not shown: ${refusal}` }
      : await this.run(text.slice(header.dataStart), header.transparent);
    this.cache.set(text, picture);
    if (this.cache.size > 16) this.cache.delete(this.cache.keys().next().value as string);
    return picture;
  }

  private async run(data: string, transparent: boolean): Promise<SixelPicture> {
    this.decoder ??= DecoderAsync({ memoryLimit: SixelLimits.maxPixels * 4 + 16 * 1024 * 1024 });
    let decoder: Decoder;
    try {
      decoder = await this.decoder;
    } catch (error) {
      this.decoder = null;
      return { ok: false, reason: `sixel decoder unavailable: ${String(error)}` };
    }
    try {
      const bytes = new Uint8Array(data.length);
      for (let i = 0; i < data.length; i++) bytes[i] = data.charCodeAt(i) & 0xff;
      decoder.init(transparent ? 0 : Private.background, null, 256, true);
      decoder.decode(bytes);
      const { width, height } = decoder;
      if (width === 0 || height === 0)
        return { ok: false, reason: 'sixel image not shown: it holds no pixels' };
      if (width * height > SixelLimits.maxPixels) {
        return {
          ok: false,
          reason: `sixel image not shown: its data draws ${width}x${height} pixels`
        };
      }
      // data8 is borrowed from the decoder: copy before the next image.
      const rgba = new Uint8ClampedArray(decoder.data8.subarray(0, width * height * 4));
      if (decoder.memoryUsage > 32 * 1024 * 1024) decoder.release();
      return { ok: true, width, height, rgba };
    } catch (error) {
      this.decoder = null; // past its memory limit the decoder resets; start a fresh one
      return {
        ok: false,
        reason: `sixel image not shown: ${error instanceof Error ? error.message : String(error)}`
      };
    }
  }
}

namespace Private {
  /** Opaque black, the library's DEFAULT_BACKGROUND (not exported by its decode-only entry). */
  export const background = toRGBA8888(0, 0, 0, 255);

  export function strip(body: string): string {
    let s = body.trim();
    if (s.startsWith('\x1bP')) s = s.slice(2);
    const st = s.indexOf('\x1b\\');
    return st >= 0 ? s.slice(0, st) : s;
  }
}
