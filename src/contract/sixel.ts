/**
 * The sixel format as both sides read it: where the pixel data of a DCS body
 * starts, what its raster attributes declare, and the limits past which an
 * image is refused instead of decoded. Pure functions; this module imports nothing.
 */

/** Past these an image is a placeholder, not a decode (memory bombs, bad headers). */
export const SixelLimits = {
  /** The sixel decoder's own width limit (2^14 - 4, a compile-time constant of its wasm). */
  maxWidth: 16380,
  maxHeight: 16384,
  /** 16 megapixels: 64 MiB of RGBA. */
  maxPixels: 4096 * 4096,
  /** Characters of sixel data; a 4096x4096 photo is about 20 MB of it. */
  maxBodyLength: 64 * 1024 * 1024
} as const;

export interface SixelHeader {
  /** P2 of the introducer: 1 leaves unpainted pixels transparent. */
  transparent: boolean;
  /** The raster attributes `"Pan;Pad;Ph;Pv`, when the image declares them. */
  width: number | null;
  height: number | null;
  /** Index of the first character after the introducer's `q`. */
  dataStart: number;
}

/**
 * Reads a DCS body (what follows `ESC P`, up to `ESC \`; a leading `ESC P`
 * and a trailing `ESC \` are tolerated). Null when the body is not a sixel
 * image (other DCS strings: XTGETTCAP `+q`, tmux passthrough ...).
 */
export function parseSixelHeader(body: string): SixelHeader | null {
  const offset = body.startsWith('\x1bP') ? 2 : 0;
  const intro = /^([0-9;]*)q/.exec(offset ? body.slice(offset, offset + 64) : body.slice(0, 64));
  if (!intro) return null;
  const params = intro[1].split(';');
  const dataStart = offset + intro[0].length;
  const raster = /^"(\d*);(\d*);(\d+);(\d+)/.exec(body.slice(dataStart, dataStart + 64));
  return {
    transparent: params[1] === '1',
    width: raster ? Number(raster[3]) : null,
    height: raster ? Number(raster[4]) : null,
    dataStart
  };
}

/** Why an image with this header must not be decoded, or null if it may. */
export function sixelRefusal(header: SixelHeader, bodyLength: number): string | null {
  const { width, height } = header;
  if (width !== null && height !== null) {
    if (
      width > SixelLimits.maxWidth ||
      height > SixelLimits.maxHeight ||
      width * height > SixelLimits.maxPixels
    ) {
      return `its header declares ${width}x${height} pixels, over the ${SixelLimits.maxWidth}x${SixelLimits.maxHeight} / ${SixelLimits.maxPixels / 1048576} megapixel limit`;
    }
  }
  if (bodyLength > SixelLimits.maxBodyLength) {
    return `it is ${Math.round(bodyLength / 1048576)} MB of sixel data, over the ${SixelLimits.maxBodyLength / 1048576} MB limit`;
  }
  return null;
}

/** One piece of a text that may hold sixel images. */
export type SixelSegment =
  | { kind: 'text'; text: string }
  | { kind: 'sixel'; body: string }
  /** An image whose terminating `ESC \` has not arrived (yet). */
  | { kind: 'partial'; body: string };

/**
 * Splits stream text at its sixel sequences. Other DCS strings are dropped,
 * as a terminal does; text around them is kept as it is.
 */
export function splitSixel(text: string): SixelSegment[] {
  const out: SixelSegment[] = [];
  let at = 0;
  let textStart = 0;
  while (at < text.length) {
    const start = text.indexOf('\x1bP', at);
    if (start < 0) break;
    const end = text.indexOf('\x1b\\', start + 2);
    const body = text.slice(start + 2, end < 0 ? text.length : end);
    if (start > textStart) out.push({ kind: 'text', text: text.slice(textStart, start) });
    if (parseSixelHeader(body))
      out.push(end < 0 ? { kind: 'partial', body } : { kind: 'sixel', body });
    if (end < 0) return out;
    at = textStart = end + 2;
  }
  if (textStart < text.length) out.push({ kind: 'text', text: text.slice(textStart) });
  return out;
}
