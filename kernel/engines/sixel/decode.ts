// The only importer of the `sixel` package in the kernel.
import { DEFAULT_BACKGROUND, Decoder } from 'sixel';
import { parseSixelHeader, SixelLimits, sixelRefusal } from '../../../src/contract/sixel';

export type SixelDecoded =
  | { ok: true; width: number; height: number; pixels: Uint32Array }
  | { ok: false; reason: string; width: number | null; height: number | null };

/**
 * Decodes DCS bodies into RGBA pixels with the `sixel` library's wasm
 * decoder. One decoder is kept: building one costs about a quarter of a
 * small image's decode.
 */
export class SixelDecoder {
  private decoder: Decoder | null = null;

  /** Null when `body` is not a sixel image. Never throws for bad data. */
  decode(body: string): SixelDecoded | null {
    const header = parseSixelHeader(body);
    if (!header) return null;
    const { width, height } = header;
    // Refused before any allocation: the header alone can ask for gigabytes.
    const refusal = sixelRefusal(header, body.length);
    if (refusal) return { ok: false, reason: refusal, width, height };
    // The wasm decoder reads bytes; sixel data is 7-bit, so latin1 is exact and fast.
    const bytes = Buffer.from(body.slice(header.dataStart), 'latin1');
    const decoder = (this.decoder ??= new Decoder({
      memoryLimit: SixelLimits.maxPixels * 4 + 16 * 1024 * 1024
    }));
    try {
      decoder.init(header.transparent ? 0 : DEFAULT_BACKGROUND, null, 256, true);
      decoder.decode(bytes);
      const w = decoder.width;
      const h = decoder.height;
      if (w * h > SixelLimits.maxPixels || h > SixelLimits.maxHeight) {
        return {
          ok: false,
          reason: `its data draws ${w}x${h} pixels, over the ${SixelLimits.maxPixels / 1048576} megapixel limit`,
          width: w,
          height: h
        };
      }
      if (w === 0 || h === 0)
        return { ok: false, reason: 'it holds no pixels', width: null, height: null };
      // data32 is borrowed from the decoder: copy before the next image reuses it.
      const pixels = decoder.data32.slice(0, w * h);
      if (decoder.memoryUsage > 32 * 1024 * 1024) decoder.release();
      return { ok: true, width: w, height: h, pixels };
    } catch (error) {
      // The decoder throws past its memory limit and resets itself.
      this.decoder = null;
      return {
        ok: false,
        reason: `the decoder refused it (${error instanceof Error ? error.message : String(error)})`,
        width,
        height
      };
    }
  }
}
