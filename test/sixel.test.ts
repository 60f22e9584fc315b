/**
 * Sixel from real encoders through a warren kernel over ZeroMQ: images come
 * out as image/png display data in their place, broken ones as placeholders,
 * and a sixel program's terminal queries are answered.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelClient } from '../kernel/client/client';
import { launchWarren, text } from './harness';

const work = mkdtempSync(join(tmpdir(), 'warren-sixel-'));
/** Prints a picture as `mrpeek -batch` does (Debian's MRtrix3 has no mrpeek). */
const MRPEEK_SIXEL = join(__dirname, 'bin', 'mrpeek-sixel');

type Iopub = { header: { msg_type: string }; content: Record<string, unknown> }[];

/** The outputs in order, streams merged: ['text', 'before\n'], ['png', base64], ... */
function outputs(iopub: Iopub): [string, string][] {
  const out: [string, string][] = [];
  for (const m of iopub) {
    if (m.header.msg_type === 'stream') {
      const last = out[out.length - 1];
      const name = String(m.content.name);
      if (last && last[0] === name) last[1] += String(m.content.text);
      else out.push([name, String(m.content.text)]);
    } else if (m.header.msg_type === 'display_data') {
      const data = m.content.data as Record<string, string>;
      out.push(
        data['image/png'] ? ['png', data['image/png']] : ['placeholder', data['text/plain']]
      );
    }
  }
  return out;
}

function rgba(png: Buffer | string): Buffer {
  return typeof png === 'string'
    ? execFileSync('convert', [png, '-depth', '8', 'rgba:-'])
    : execFileSync('convert', ['png:-', '-depth', '8', 'rgba:-'], { input: png });
}

describe('sixel in shell output of a warren kernel', () => {
  let k: KernelClient;
  beforeAll(async () => {
    execFileSync('convert', [
      '-seed',
      '3',
      '-size',
      '240x150',
      'plasma:fractal',
      join(work, 'photo.png')
    ]);
    execFileSync('convert', ['-size', '600x400', 'gradient:red-blue', join(work, 'big.png')]);
    k = await launchWarren({ cwd: work });
  });
  afterAll(async () => {
    await k.shutdown();
  });

  test('!img2sixel shows image/png in place, the text before and after kept', async () => {
    const { reply, iopub } = await k.execute('!echo before; img2sixel photo.png; echo after');
    expect(reply.content.status).toBe('ok');
    const out = outputs(iopub);
    expect(out.map(([kind]) => kind)).toEqual(['stdout', 'png', 'stdout']);
    expect(out[0][1]).toBe('before\n');
    expect(out[2][1]).toBe('after\n');
    const got = rgba(Buffer.from(out[1][1], 'base64'));
    const source = rgba(join(work, 'photo.png'));
    expect(got.length).toBe(source.length);
    let sum = 0;
    for (let i = 0; i < got.length; i++) if (i % 4 !== 3) sum += Math.abs(got[i] - source[i]);
    expect(sum / ((got.length * 3) / 4)).toBeLessThan(12);
  });

  test("ImageMagick's sixel, streamed in many pty reads, is one image", async () => {
    const { iopub } = await k.execute('!convert big.png sixel:-; echo done');
    const out = outputs(iopub);
    expect(out.map(([kind]) => kind)).toEqual(['png', 'stdout']);
    const size = execFileSync('identify', ['-format', '%w %h', 'png:-'], {
      input: Buffer.from(out[0][1], 'base64'),
      encoding: 'utf8'
    });
    expect(size).toBe('600 400');
  });

  test('a sixel cut short by the end of the command shows what arrived and a note; the kernel lives on', async () => {
    execFileSync('bash', ['-c', `img2sixel photo.png | head -c 4000 > cut.six`], { cwd: work });
    const { reply, iopub } = await k.execute('!cat cut.six');
    expect(reply.content.status).toBe('ok');
    const out = outputs(iopub);
    expect(out[0][0]).toBe('png');
    expect(text(iopub, 'stderr')).toMatch(/sixel image was cut short/);
    const after = await k.execute('!echo alive');
    expect(text(after.iopub)).toBe('alive\n');
  });

  // 16380x1100 is inside the width and height limits and past the 16-megapixel cap:
  // refused from its header, the note says so; decoded first, it would say "its data draws".
  test('a header past the pixel cap gives a placeholder and a note from the header alone; the kernel lives on', async () => {
    const { reply, iopub } = await k.execute(
      `!echo a; printf '\\033Pq"1;1;16380;1100#0~~~~\\033\\\\'; echo b`
    );
    expect(reply.content.status).toBe('ok');
    const out = outputs(iopub);
    expect(out).toEqual([
      ['stdout', 'a\n'],
      ['placeholder', '[sixel image 16380x1100 not shown]'],
      [
        'stderr',
        'warren: a sixel image was not shown: its header declares 16380x1100 pixels, over the 16380x16384 / 16 megapixel limit\n'
      ],
      ['stdout', 'b\n']
    ]);
    const after = await k.execute('1 + 1');
    expect(after.reply.content.status).toBe('ok');
  });

  test("a batch-mode stream shaped as mrpeek's (ESC P 9;1 q, percent palette, ESC [1B CR after) is one image and no stray text", async () => {
    const { reply, iopub } = await k.execute(`!echo before; ${MRPEEK_SIXEL}; echo after`);
    expect(reply.content.status).toBe('ok');
    const out = outputs(iopub);
    expect(out.map(([kind]) => kind)).toEqual(['stdout', 'png', 'stdout']);
    expect(out[0][1]).toBe('before\n');
    expect(out[2][1]).toBe('after\n');
    const png = Buffer.from(out[1][1], 'base64');
    expect(
      execFileSync('identify', ['-format', '%w %h', 'png:-'], { input: png, encoding: 'utf8' })
    ).toBe('48 30');
    const px = rgba(png);
    const at = (x: number, y: number) => [...px.subarray((y * 48 + x) * 4, (y * 48 + x) * 4 + 4)];
    expect(at(5, 5)).toEqual([255, 0, 0, 255]); // #0;2;100;0;0
    expect(at(40, 5)).toEqual([0, 0, 255, 255]); // #1;2;0;0;100
    expect(at(24, 3)).toEqual([255, 255, 0, 255]); // the crosshair, #2;2;100;100;0
    expect(at(5, 15)).toEqual([255, 255, 0, 255]);
    expect(at(47, 29)).toEqual([0, 0, 255, 255]);
  });

  test("a sixel program's terminal queries are answered through the pty", async () => {
    const script = [
      'stty -icanon -echo',
      `printf '\\033[c'; IFS= read -rs -d c -t 3 da`,
      `printf '\\033[6n'; IFS= read -rs -d R -t 3 pos`,
      `printf '\\033[16t'; IFS= read -rs -d t -t 3 cell`,
      `printf '\\033[?2;1;0S'; IFS= read -rs -d S -t 3 geo`,
      'stty sane',
      'echo "DA=${da:2} POS=${pos:2} CELL=${cell:2} GEO=${geo:2}"'
    ].join('; ');
    const { iopub } = await k.execute(`%%bash\n${script}`);
    expect(text(iopub)).toMatch(/DA=\?62;4;22 POS=40;1 CELL=6;20;10 GEO=\?2;0;1200;800/);
  });
});
