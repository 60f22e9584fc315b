import { deflateSync, crc32 } from 'node:zlib';

/**
 * A PNG encoder for decoded sixel images. Sixel images have at most a few
 * hundred colours, so the usual case is an indexed PNG: one byte a pixel
 * goes through deflate instead of four, which is most of the time spent.
 * More than 256 colours falls back to 8-bit RGBA.
 */
export function encodePng(pixels: Uint32Array, width: number, height: number): Buffer {
  if (pixels.length < width * height)
    throw new RangeError(`encodePng: ${pixels.length} pixels for ${width}x${height}`);
  const indexed = Private.indexed(pixels, width * height);
  const chunks: Buffer[] = [Private.SIGNATURE];
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = indexed ? 3 : 6; // colour type: palette, or RGBA
  chunks.push(Private.chunk('IHDR', header));
  let raw: Buffer;
  if (indexed) {
    const { palette, indices } = indexed;
    const plte = Buffer.alloc(palette.length * 3);
    const trns = Buffer.alloc(palette.length);
    let translucent = false;
    palette.forEach((c, i) => {
      // Uint32 pixels are ABGR: the bytes in memory are R, G, B, A.
      plte[i * 3] = c & 0xff;
      plte[i * 3 + 1] = (c >>> 8) & 0xff;
      plte[i * 3 + 2] = (c >>> 16) & 0xff;
      trns[i] = c >>> 24;
      if (trns[i] !== 255) translucent = true;
    });
    chunks.push(Private.chunk('PLTE', plte));
    if (translucent) chunks.push(Private.chunk('tRNS', trns));
    raw = Private.rows(indices, width, height, 1);
  } else {
    raw = Private.rows(
      new Uint8Array(pixels.buffer, pixels.byteOffset, width * height * 4),
      width,
      height,
      4
    );
  }
  // Level 4: a third of level 9's time on these images for a few percent of size.
  chunks.push(Private.chunk('IDAT', deflateSync(raw, { level: 4 })));
  chunks.push(Private.chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(chunks);
}

namespace Private {
  export const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

  export function chunk(type: string, data: Buffer): Buffer {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    data.copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  }

  /** Scanlines with filter byte 0 (none) in front of each. */
  export function rows(data: Uint8Array, width: number, height: number, bpp: number): Buffer {
    const stride = width * bpp;
    const out = Buffer.allocUnsafe((stride + 1) * height);
    for (let y = 0; y < height; y++) {
      out[y * (stride + 1)] = 0;
      out.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
    }
    return out;
  }

  /** A palette and one index a pixel, or null past 256 colours. */
  export function indexed(
    pixels: Uint32Array,
    count: number
  ): { palette: number[]; indices: Uint8Array } | null {
    const map = new Map<number, number>();
    const palette: number[] = [];
    const indices = new Uint8Array(count);
    let last = -1;
    let lastIndex = 0;
    for (let i = 0; i < count; i++) {
      const c = pixels[i];
      if (c !== last) {
        let index = map.get(c);
        if (index === undefined) {
          if (palette.length === 256) return null;
          index = palette.length;
          palette.push(c);
          map.set(c, index);
        }
        last = c;
        lastIndex = index;
      }
      indices[i] = lastIndex;
    }
    return { palette, indices };
  }
}
