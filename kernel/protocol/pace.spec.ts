import { JUPYTER_SERVER_LIMITS, StreamPace } from './pace';
import type { StreamPiece } from './pace';

const LIMIT = JUPYTER_SERVER_LIMITS.bytesPerSecond;
const WINDOW_MS = JUPYTER_SERVER_LIMITS.windowSeconds * 1000;

/** What jupyter_server counts for one stream message: its frames' bytes (text as JSON, UTF-8, and about 600 bytes of header). */
function serverBytes(piece: StreamPiece): number {
  return Buffer.byteLength(JSON.stringify(piece.text)) + 600;
}

/** The most the server counts in any window of what was sent (the replica of its sum). */
function worstWindow(sent: { at: number; piece: StreamPiece }[]): number {
  let worst = 0;
  for (let i = 0; i < sent.length; i++) {
    let sum = 0;
    for (let j = i; j < sent.length && sent[j].at < sent[i].at + WINDOW_MS; j++) {
      sum += serverBytes(sent[j].piece);
    }
    worst = Math.max(worst, sum);
  }
  return worst;
}

/** Numbered lines `from`..`to`, each with its newline. */
function lines(from: number, to: number, fill = 'x'): string {
  let out = '';
  for (let i = from; i <= to; i++) out += `line ${i} ${fill.repeat(60)}\n`;
  return out;
}

/**
 * A command writing `perSecond` lines a second for `seconds`, read in pieces
 * of `perPiece` lines: every piece through the pace, then settle. Each piece
 * published, with when.
 */
function flood(perSecond: number, seconds: number, perPiece = 500, fill = 'x') {
  const pace = new StreamPace(JUPYTER_SERVER_LIMITS, 0);
  const sent: { at: number; piece: StreamPiece }[] = [];
  const total = perSecond * seconds;
  let n = 1;
  while (n <= total) {
    const to = Math.min(total, n + perPiece - 1);
    const at = ((n - 1) / perSecond) * 1000;
    for (const piece of pace.pass({ name: 'stdout', text: lines(n, to, fill) }, at)) {
      sent.push({ at, piece });
    }
    n = to + 1;
  }
  const end = (total / perSecond) * 1000;
  for (const piece of pace.settle(end)) sent.push({ at: end, piece });
  return { sent, text: sent.map((s) => s.piece.text).join(''), lines: total };
}

describe('StreamPace', () => {
  test('output within the limit goes out whole, unchanged, when it comes', () => {
    const pace = new StreamPace(JUPYTER_SERVER_LIMITS, 0);
    const out: string[] = [];
    // 300 kB a second for ten seconds, in pieces of 8 kB.
    for (let t = 0; t < 10_000; t += 25) {
      const piece = { name: 'stdout' as const, text: `${t}\n`.padStart(7500, '.') };
      const passed = pace.pass(piece, t);
      expect(passed).toEqual([piece]);
      out.push(piece.text);
    }
    expect(pace.settle(10_000)).toEqual([]);
    expect(pace.leaving).toBe(false);
  });

  test.each([
    ['ASCII', 'x'],
    ['text beyond ASCII (2 and 3 bytes a character)', 'ü€']
  ])(
    'a flood of %s stays below the server limit in every window, counted as the server counts',
    (_, fill) => {
      // About 60 MB in a minute.
      const { sent } = flood(15_000, 60, 500, fill);
      expect(sent.length).toBeGreaterThan(10);
      const worst = worstWindow(sent);
      expect(worst).toBeLessThanOrEqual(LIMIT * (WINDOW_MS / 1000));
      expect(worst).toBeGreaterThan(LIMIT); // and it uses the room it has
    }
  );

  test('a flood shows its start and its end, with a note of how much was left out between', () => {
    const { text, lines: total } = flood(200_000, 3);
    expect(text.startsWith(lines(1, 3))).toBe(true);
    expect(text.endsWith(lines(total - 2, total))).toBe(true);
    const notes = [...text.matchAll(/\[warren: ([\d.]+) MB of output left out here/g)];
    expect(notes.length).toBeGreaterThan(0);
    // What the notes count and what was shown add up to what was written.
    const written = lines(1, total).length;
    const leftOut = notes.reduce((n, m) => n + Number(m[1]) * 1e6, 0);
    const shown = text.replace(/\[warren: [^\]]*\]\n/g, '').length;
    expect(Math.abs(shown + leftOut - written)).toBeLessThan(notes.length * 0.05e6 + 1);
    // Lines are shown whole: every shown line is one the command wrote.
    for (const line of text.split('\n').filter((l) => l.startsWith('line '))) {
      expect(line).toMatch(/^line \d+ x{60}$/);
    }
  });

  test('while a flood goes on, the latest lines are shown about once a second', () => {
    const { sent } = flood(30_000, 20);
    const notes = sent.filter((s) => s.piece.name === 'stderr');
    expect(notes.length).toBeGreaterThanOrEqual(15);
    expect(notes.length).toBeLessThanOrEqual(21);
    // Each note is followed by the lines written just before it.
    for (const note of notes.slice(0, -1)) {
      const next = sent[sent.indexOf(note) + 1];
      const shownLine = Number(/line (\d+)/.exec(next.piece.text)?.[1]);
      // The piece read at that moment holds the 500 lines written from then on.
      const writtenBy = (note.at / 1000) * 30_000 + 500;
      expect(shownLine).toBeLessThanOrEqual(writtenBy);
      expect(shownLine).toBeGreaterThan(writtenBy - 30_000);
    }
  });

  test('stderr and stdout left out keep their streams and their order', () => {
    const pace = new StreamPace(JUPYTER_SERVER_LIMITS, 0);
    // Fill the budget, then a flood of stdout ending in an error on stderr.
    pace.pass({ name: 'stdout', text: lines(1, 40_000) }, 0);
    pace.pass({ name: 'stdout', text: lines(40_001, 40_100) }, 1);
    pace.pass({ name: 'stderr', text: 'error: it broke\n' }, 2);
    const end = pace.settle(3);
    expect(end[0].name).toBe('stderr');
    expect(end[0].text).toMatch(/left out here/);
    expect(end.slice(1).map((p) => p.name)).toEqual(['stdout', 'stderr']);
    expect(end[1].text.endsWith(lines(40_100, 40_100))).toBe(true);
    expect(end[2].text).toBe('error: it broke\n');
  });
  test('a note starts a line of its own, with no empty line before it', () => {
    // Whole lines: the note follows at once (Lab shows stderr in a box of its own).
    const whole = new StreamPace(JUPYTER_SERVER_LIMITS, 0);
    whole.pass({ name: 'stdout', text: lines(1, 40_000) }, 0);
    whole.pass({ name: 'stdout', text: lines(40_001, 40_100) }, 1);
    expect(whole.settle(2)[0].text).toMatch(/^\[warren: /);
    // A line left open (a progress bar's carriage returns): the note ends it first.
    const open = new StreamPace(JUPYTER_SERVER_LIMITS, 0);
    open.pass({ name: 'stdout', text: 'step 1 '.repeat(1000) }, 0);
    open.pass({ name: 'stdout', text: lines(1, 40_000) }, 1);
    expect(open.settle(2)[0].text).toMatch(/^\n\[warren: /);
  });

  test('a loop of lines between other outputs, with pauses, stays below the server limit and notes about once a second', () => {
    const pace = new StreamPace(JUPYTER_SERVER_LIMITS, 0);
    const sent: { at: number; piece: StreamPiece }[] = [];
    const take = (at: number, pieces: StreamPiece[]) => {
      for (const piece of pieces) sent.push({ at, piece });
    };
    let n = 0;
    // Ten seconds: 2,000 turns a second of a 1 kB line and another output,
    // each second's last 300 ms quiet (the quiet timer looks every 50 ms).
    for (let t = 0; t < 10_000; t += 0.5) {
      if (t % 1000 >= 700) {
        if (t % 50 === 0) take(t, pace.quiet(t));
        continue;
      }
      n++;
      take(t, pace.pass({ name: 'stdout', text: `${n} ${'x'.repeat(1000)}\n` }, t));
      take(t, pace.interlude(t));
    }
    // Then the command works quietly for five seconds, and ends.
    const lastLine = `${n} ${'x'.repeat(1000)}\n`;
    let quietEnd = Infinity;
    for (let t = 10_000; t < 15_000; t += 50) {
      take(t, pace.quiet(t));
      if (quietEnd === Infinity && sent[sent.length - 1]?.piece.text.endsWith(lastLine))
        quietEnd = t;
    }
    take(15_000, pace.pass({ name: 'stdout', text: 'THE-END\n' }, 15_000));
    take(15_000, pace.settle(15_000));
    const worst = worstWindow(sent);
    expect(worst).toBeLessThanOrEqual(LIMIT * (WINDOW_MS / 1000));
    const notes = sent.filter((s) => /^\n?\[warren: /.test(s.piece.text));
    expect(notes.length).toBeGreaterThanOrEqual(5);
    expect(notes.length).toBeLessThanOrEqual(31);
    // The long quiet shows the loop's last line within the server's window
    // and a second (4 s), while the command still runs.
    expect(quietEnd).toBeLessThan(14_000);
    // The short quiet spells show theirs when the window has room: it comes
    // back in the lumps it was spent in, so not in every one.
    const quietShows = (second: number) => {
      const last = `${(second + 1) * 1400} ${'x'.repeat(1000)}\n`;
      return sent.some(
        (s) =>
          s.at >= second * 1000 + 700 && s.at < (second + 1) * 1000 && s.piece.text.endsWith(last)
      );
    };
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter(quietShows).length).toBeGreaterThanOrEqual(3);
    expect(sent[sent.length - 1].piece.text.endsWith('THE-END\n')).toBe(true);
  });

  test('2 MB at once, which the server passes on, goes out whole', () => {
    const pace = new StreamPace(JUPYTER_SERVER_LIMITS, 0);
    const text = lines(1, 30_000);
    expect(text.length).toBeGreaterThan(2_000_000);
    const out: StreamPiece[] = [];
    for (let i = 0; i < text.length; i += 65_536)
      out.push(...pace.pass({ name: 'stdout', text: text.slice(i, i + 65_536) }, i / 1e6));
    out.push(...pace.settle(5));
    expect(out.map((p) => p.text).join('')).toBe(text);
  });

  test('a flood reaching the server up to a second late, unevenly, stays below its limit', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { sent } = flood(30_000, 20);
      let x = seed;
      const random = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      let last = 0;
      let lag = 0;
      const arrived = sent.map(({ at, piece }, i) => {
        if (i % 20 === 0) lag = random() * 1000;
        last = Math.max(last, at + lag);
        return { at: last, piece };
      });
      const worst = worstWindow(arrived);
      expect(worst).toBeLessThanOrEqual(LIMIT * (WINDOW_MS / 1000));
    }
  });

  test.each([
    ['`yes` (1.5 bytes a character on the wire)', 'y\n'],
    ['coloured lines (ESC is six bytes)', '\x1b[32m123456\x1b[0m\n'],
    ['quotes and backslashes', '"C:\\path\\to"\t\n'],
    ['text beyond Latin-1', '中文 😀 ü\n'],
    ['lone surrogates (JSON writes each as a six-byte escape)', '\ud800\udc00\udc00\ud800\n']
  ])('a flood of %s stays below the server limit, counted byte for byte', (_, unit) => {
    const pace = new StreamPace(JUPYTER_SERVER_LIMITS, 0);
    const sent: { at: number; piece: StreamPiece }[] = [];
    const piece = unit.repeat(Math.ceil(65_536 / unit.length));
    // Two seconds of 64 kB reads at 10 MB/s of characters, then the end.
    for (let at = 0; at < 2000; at += 6.5) {
      for (const p of pace.pass({ name: 'stdout', text: piece }, at)) sent.push({ at, piece: p });
    }
    for (const p of pace.settle(2000)) sent.push({ at: 2000, piece: p });
    let total = 0;
    for (const s of sent) if (s.at < WINDOW_MS) total += serverBytes(s.piece);
    expect(total).toBeLessThanOrEqual(LIMIT * (WINDOW_MS / 1000));
    // And the end is shown, after a note.
    expect(sent[sent.length - 1].piece.text.endsWith(unit)).toBe(true);
    expect(sent.some((s) => /left out here/.test(s.piece.text))).toBe(true);
  });

  test('under a server of very low limits (10 kB/s) a flood still shows glimpses and its end, within the limit', () => {
    const limits = { bytesPerSecond: 10_000, messagesPerSecond: 0, windowSeconds: 3 };
    const pace = new StreamPace(limits, 0);
    const sent: { at: number; piece: StreamPiece }[] = [];
    let n = 0;
    for (let at = 0; at < 20_000; at += 10) {
      n++;
      for (const p of pace.pass({ name: 'stdout', text: lines(n * 10, n * 10 + 9) }, at))
        sent.push({ at, piece: p });
    }
    for (const p of pace.settle(20_000)) sent.push({ at: 20_000, piece: p });
    const worst = worstWindow(sent);
    expect(worst).toBeLessThanOrEqual(10_000 * 3);
    const notes = sent.filter((s) => /left out here/.test(s.piece.text));
    expect(notes.length).toBeGreaterThanOrEqual(3);
    expect(sent[sent.length - 1].piece.text.endsWith(lines(n * 10 + 9, n * 10 + 9))).toBe(true);
  });

  test('a tail denser on the wire than the text before it is shown within the limit', () => {
    const pace = new StreamPace(JUPYTER_SERVER_LIMITS, 0);
    const sent: StreamPiece[] = [];
    const plain = `${'p'.repeat(79)}\n`.repeat(12_500);
    // 2.5 MB of plain lines in 1 MB reads, then 256 k characters of control
    // characters (six bytes each on the wire) in the same read as more plain text.
    for (let i = 0; i < 2; i++) sent.push(...pace.pass({ name: 'stdout', text: plain }, i * 50));
    const dense = `${'\x00'.repeat(79)}\n`.repeat(3_277);
    sent.push(...pace.pass({ name: 'stdout', text: plain + dense }, 100));
    sent.push(...pace.pass({ name: 'stdout', text: 'THE-END\n' }, 150));
    sent.push(...pace.settle(200));
    const counted = sent.reduce((n, p) => n + serverBytes(p), 0);
    expect(counted).toBeLessThanOrEqual(LIMIT * (WINDOW_MS / 1000));
    expect(sent[sent.length - 1].text.endsWith('THE-END\n')).toBe(true);
  });

  test('a flood with no line breaks is never cut inside a character of two UTF-16 units', () => {
    const pace = new StreamPace(JUPYTER_SERVER_LIMITS, 0);
    const sent: StreamPiece[] = [];
    // Odd-sized reads of emoji (two units each), so cuts may fall anywhere.
    const read = 'x' + '😀'.repeat(32_767);
    for (let at = 0; at < 3000; at += 10)
      sent.push(...pace.pass({ name: 'stdout', text: read }, at));
    sent.push(...pace.settle(3000));
    expect(sent.some((p) => /left out here/.test(p.text))).toBe(true);
    const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
    for (const p of sent) expect(lone.test(p.text)).toBe(false);
  });
});
