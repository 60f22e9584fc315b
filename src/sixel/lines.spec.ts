import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { SixelLineEnds } from './lines';

/** What test/bin/mrpeek-sixel prints: mrpeek's shape, ESC [1B CR after the ST. */
const mrpeek = execFileSync(join(__dirname, '..', '..', 'test', 'bin', 'mrpeek-sixel'), {
  encoding: 'latin1'
});
const image = mrpeek.slice(0, mrpeek.indexOf('\x1b\\') + 2);

function feed(chunks: string[]): string {
  const ends = new SixelLineEnds();
  return chunks.map((c) => ends.push(c)).join('');
}

test("mrpeek's stand-in ends as the shape this handles: an image, then ESC [1B CR", () => {
  expect(image.startsWith('\x1bP9;1q#0;2;100;0;0')).toBe(true);
  expect(mrpeek.slice(image.length)).toBe('\x1b[1B\r');
});

test("the cursor move and CR after mrpeek's image become one line end, so the next text starts below it", () => {
  expect(feed([`before\n${mrpeek}after\n`])).toBe(`before\n${image}\nafter\n`);
});

test('text right after an image (no moves) goes on a line of its own', () => {
  expect(feed([`${image}after\n`])).toBe(`${image}\nafter\n`);
});

test("an image followed by its own line end, or by the stream's end, is left as it is", () => {
  expect(feed([`${image}\nafter\n`])).toBe(`${image}\nafter\n`);
  expect(feed([`before\n${image}`])).toBe(`before\n${image}`);
});

test('the result is the same wherever the stream is cut into chunks', () => {
  const input = `before\n${mrpeek}after\n\x1bPq#0~\x1b\\ok\n`;
  const whole = feed([input]);
  expect(whole).toBe(`before\n${image}\nafter\n\x1bPq#0~\x1b\\\nok\n`);
  for (let i = 1; i < input.length; i++) {
    expect(feed([input.slice(0, i), input.slice(i)])).toBe(whole);
  }
  // Three pieces, cut around the ESC P, the parameters, the ST and the moves.
  const cuts = [
    7,
    8,
    10,
    11,
    image.length + 6,
    image.length + 7,
    image.length + 8,
    image.length + 9
  ];
  for (const a of cuts)
    for (const b of cuts)
      if (a < b) expect(feed([input.slice(0, a), input.slice(a, b), input.slice(b)])).toBe(whole);
});

test('other DCS strings, text without images and progress redraws pass unchanged', () => {
  for (const text of [
    '\x1bP+q544e\x1b\\\rafter\n',
    'plain text\n',
    '[ 10%]\r[ 50%]\r[100%]\n',
    '\x1b[31mred\x1b[0m\r\n'
  ])
    expect(feed([text])).toBe(text);
});
