import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decoder } from 'sixel';
import { SixelLimits } from '../../../src/contract/sixel';
import type { MimeBundle, OutputSink } from '../engine';
import { SixelDecoder } from './decode';
import { SixelOutput } from './output';
import { encodePng } from './png';
import { answerQuery, DEFAULT_GEOMETRY } from './queries';

const work = mkdtempSync(join(tmpdir(), 'warren-sixel-'));

/** Test pictures made by ImageMagick: a smooth gradient, a fractal "photo", flat blocks. */
function picture(name: string, spec: string[]): string {
  const file = join(work, `${name}.png`);
  execFileSync('convert', [...spec, file]);
  return file;
}

/** The source's pixels as RGBA bytes, read by ImageMagick. */
function rgba(file: string): Buffer {
  return execFileSync('convert', [file, '-depth', '8', 'rgba:-'], { maxBuffer: 1 << 28 });
}

/** The DCS body an encoder printed: between ESC P and ESC \. */
function body(sixel: Buffer): string {
  const s = sixel.toString('latin1');
  const start = s.indexOf('\x1bP');
  return s.slice(start + 2, s.indexOf('\x1b\\', start));
}

const encoders: Record<string, (png: string) => Buffer> = {
  img2sixel: (png) => execFileSync('img2sixel', [png], { maxBuffer: 1 << 28 }),
  imagemagick: (png) => execFileSync('convert', [png, 'sixel:-'], { maxBuffer: 1 << 28 })
};

function difference(a: Uint8Array, b: Uint8Array): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (i % 4 === 3) continue; // alpha: opaque on both sides
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    n++;
    if (d > max) max = d;
  }
  return { mean: sum / n, max };
}

const pictures = {
  gradient: () => picture('gradient', ['-size', '320x200', 'gradient:#d02010-#1040e0']),
  fractal: () => picture('fractal', ['-seed', '7', '-size', '257x131', 'plasma:fractal']),
  blocks: () =>
    picture('blocks', [
      '-size',
      '90x60',
      'xc:#ff0000',
      '-fill',
      '#00ff00',
      '-draw',
      'rectangle 30,0 59,59',
      '-fill',
      '#0000ff',
      '-draw',
      'rectangle 60,0 89,59'
    ])
};

describe('SixelDecoder with real encoders', () => {
  const decoder = new SixelDecoder();
  for (const [encoder, encode] of Object.entries(encoders)) {
    for (const [name, make] of Object.entries(pictures)) {
      test(`${encoder}'s ${name} decodes to the source within the quantisation tolerance`, () => {
        const png = make();
        const source = rgba(png);
        const decoded = decoder.decode(body(encode(png)));
        if (!decoded?.ok) throw new Error(`not decoded: ${JSON.stringify(decoded)}`);
        const size = execFileSync('identify', ['-format', '%w %h', png], { encoding: 'utf8' })
          .split(' ')
          .map(Number);
        expect([decoded.width, decoded.height]).toEqual(size);
        const got = new Uint8Array(
          decoded.pixels.buffer,
          decoded.pixels.byteOffset,
          decoded.width * decoded.height * 4
        );
        const { mean, max } = difference(got, source);
        // img2sixel writes 255 as 97% (247); quantised gradients stray up to ~88 a channel.
        if (name === 'blocks') expect(max).toBeLessThanOrEqual(8);
        else {
          expect(max).toBeLessThanOrEqual(100);
          expect(mean).toBeLessThan(12);
        }
      });
    }
  }

  test('the PNG it makes reads back pixel for pixel in ImageMagick', () => {
    const decoded = decoder.decode(body(encoders.img2sixel(pictures.fractal())));
    if (!decoded?.ok) throw new Error('not decoded');
    const png = encodePng(decoded.pixels, decoded.width, decoded.height);
    const back = execFileSync('convert', ['png:-', '-depth', '8', 'rgba:-'], { input: png });
    expect(
      Buffer.compare(
        back,
        Buffer.from(
          decoded.pixels.buffer,
          decoded.pixels.byteOffset,
          decoded.width * decoded.height * 4
        )
      )
    ).toBe(0);
  });

  test('a PNG of more than 256 colours, with transparency, reads back too', () => {
    const w = 40;
    const h = 30;
    const px = new Uint32Array(w * h);
    for (let i = 0; i < px.length; i++) px[i] = ((i % 256) << 24) | ((i * 2654435761) % 0xffffff);
    const back = execFileSync('convert', ['png:-', '-depth', '8', 'rgba:-'], {
      input: encodePng(px, w, h)
    });
    expect(Buffer.compare(back, Buffer.from(px.buffer))).toBe(0);
  });

  test('a transparent-background sixel (P2 = 1) leaves unpainted pixels transparent', () => {
    const decoded = decoder.decode('9;1q"1;1;4;6#1;2;100;0;0#1!2~');
    if (!decoded?.ok) throw new Error('not decoded');
    expect(decoded.pixels[0] >>> 24).toBe(255);
    expect(decoded.pixels[3] >>> 24).toBe(0);
  });

  // The wasm decoder sizes its canvas from the raster attributes as soon as it
  // reads them (16380x1100 takes 72 MB there in about a millisecond): a time
  // bound cannot tell a refusal from an allocation, a spy on the decoder can.
  test.each([
    ['the width limit', 50000, 10],
    ['the height limit', 1000, 16385],
    ['the pixel cap (inside both size limits)', 16380, 1100]
  ])('a header past %s is refused without reaching the decoder', (_limit, width, height) => {
    const decode = jest.spyOn(Decoder.prototype, 'decode');
    const init = jest.spyOn(Decoder.prototype, 'init');
    try {
      const decoded = decoder.decode(`q"1;1;${width};${height}#0~~~`);
      expect(decoded).toEqual({
        ok: false,
        width,
        height,
        reason: expect.stringContaining(`its header declares ${width}x${height} pixels`)
      });
      expect(decode).not.toHaveBeenCalled();
      expect(init).not.toHaveBeenCalled();
      // The spies do see a decode: an image inside the limits reaches them.
      expect(decoder.decode('q"1;1;2;6#0~~')?.ok).toBe(true);
      expect(decode).toHaveBeenCalledTimes(1);
    } finally {
      decode.mockRestore();
      init.mockRestore();
    }
  });

  test('a headerless image that grows past the pixel cap is refused, not decoded', () => {
    const bomb = 'q#0~' + '-'.repeat(Math.ceil(SixelLimits.maxPixels / 6) + 10);
    const decoded = decoder.decode(bomb);
    expect(decoded?.ok).toBe(false);
    // The decoder is usable afterwards.
    expect(decoder.decode('q"1;1;2;6#0~~')?.ok).toBe(true);
  });

  test('other DCS strings are not images', () => {
    expect(decoder.decode('+q544e')).toBeNull();
    expect(decoder.decode('tmux;\x1b\x1bPq')).toBeNull();
  });
});

describe('SixelOutput', () => {
  function sink(): { sink: OutputSink; shown: MimeBundle[]; stderr: string[] } {
    const shown: MimeBundle[] = [];
    const stderr: string[] = [];
    return {
      shown,
      stderr,
      sink: {
        stream: (name, text) => void (name === 'stderr' && stderr.push(text)),
        display: (data) => void shown.push(data),
        clear: () => undefined,
        page: () => undefined,
        input: () => Promise.reject(new Error('no stdin')),
        room: () => null
      }
    };
  }
  const output = new SixelOutput(new SixelDecoder());

  test('an image becomes image/png with its size in text/plain', () => {
    const s = sink();
    output.show('q"1;1;3;6#0;2;0;100;0#0~~~', s.sink);
    expect(s.shown).toHaveLength(1);
    expect(s.shown[0]['text/plain']).toBe('<sixel image 3x6>');
    expect(Buffer.from(String(s.shown[0]['image/png']), 'base64').subarray(1, 4).toString()).toBe(
      'PNG'
    );
    expect(s.stderr).toEqual([]);
  });

  test('a huge header leaves a placeholder and a note', () => {
    const s = sink();
    output.show('q"1;1;50000;10#0~', s.sink);
    expect(s.shown).toEqual([{ 'text/plain': '[sixel image 50000x10 not shown]' }]);
    expect(s.stderr.join('')).toMatch(/not shown: its header declares 50000x10 pixels/);
  });

  test('a cut-short image shows what arrived, with a note', () => {
    const s = sink();
    output.show('q"1;1;4;12#0;2;0;0;100#0~~~~-~~', s.sink, 'truncated');
    expect(s.shown[0]['text/plain']).toBe('<sixel image 4x12, cut short>');
    expect(s.stderr.join('')).toMatch(/cut short/);
  });

  test('a cut-short image with no pixels yet is a placeholder', () => {
    const s = sink();
    output.show('q"1;1', s.sink, 'truncated');
    expect(s.shown).toEqual([{ 'text/plain': '[sixel image not shown]' }]);
    expect(s.stderr.join('')).toMatch(/ended before its ESC/);
  });
});

// The answers as xterm words them (ctlseqs), for a 120x40 terminal of 10x20-pixel
// cells: written out, not derived from DEFAULT_GEOMETRY, so a change to it shows here.
describe('answerQuery', () => {
  test.each([
    // DA1: a VT220 (62) with sixel (4) and colour text (22); DA2.
    ['', 'c', '\x1b[?62;4;22c'],
    ['0', 'c', '\x1b[?62;4;22c'],
    ['>', 'c', '\x1b[>0;10;1c'],
    // DSR: status OK; the cursor on the last row, in the column after the 5 cells written.
    ['5', 'n', '\x1b[0n'],
    ['6', 'n', '\x1b[40;6R'],
    // XTWINOPS: text area in pixels (height; width), a cell in pixels, text area in characters.
    ['14', 't', '\x1b[4;800;1200t'],
    ['14;2', 't', '\x1b[4;800;1200t'],
    ['16', 't', '\x1b[6;20;10t'],
    ['18', 't', '\x1b[8;40;120t'],
    // XTSMGRAPHICS: Pi 1 colour registers, 2 sixel geometry (width; height); Ps 0 success.
    ['?1;1;0', 'S', '\x1b[?1;0;256S'],
    ['?1;4;0', 'S', '\x1b[?1;0;256S'],
    ['?2;1;0', 'S', '\x1b[?2;0;1200;800S'],
    ['?2;4;0', 'S', '\x1b[?2;0;1200;800S'],
    // Ps 3: a failure (this terminal's registers cannot be set); Ps 2: an error in Pa; Ps 1: in Pi.
    ['?1;3;1024', 'S', '\x1b[?1;3;0S'],
    ['?2;7;0', 'S', '\x1b[?2;2;0S'],
    ['?3;1;0', 'S', '\x1b[?3;1;0S'],
    // Not queries this terminal answers.
    ['2', 'S', null],
    ['22;0', 't', null],
    ['1', 'c', null]
  ])('ESC [ %s %s is answered %j', (params, final, answer) => {
    expect(answerQuery(params, final, DEFAULT_GEOMETRY, 5)).toBe(answer);
  });

  test('the answers follow the geometry they are given', () => {
    const small = { columns: 80, rows: 24, cellWidth: 8, cellHeight: 16 };
    expect(answerQuery('14', 't', small, 0)).toBe('\x1b[4;384;640t');
    expect(answerQuery('?2;1;0', 'S', small, 0)).toBe('\x1b[?2;0;640;384S');
    expect(answerQuery('6', 'n', small, 0)).toBe('\x1b[24;1R');
  });
});
