import { Screen } from './screen';
import { TerminalText } from './terminal';

/** What tqdm writes for nested bars (outer at position 0, inner at 1, tqdm.write between), as a pty delivers it. */
function nestedBars(): string[] {
  const bar = (name: string, n: number, of: number) => `${name}: ${n}/${of}`;
  const clear = '\r' + ' '.repeat(20) + '\r';
  const reads = [`\r${bar('epoch', 0, 2)}`, '\r\n', `\r${bar('batch', 0, 3)}\x1b[A`];
  for (let e = 0; e < 2; e++) {
    for (let b = 1; b <= 3; b++) reads.push(`\r\n\r${bar('batch', b, 3)}\x1b[A`);
    // tqdm.write: clear both bars, print above them, redraw them.
    reads.push(`${clear}\r\n${clear}\x1b[Aepoch ${e} done\r\n`);
    reads.push(`\r${bar('epoch', e + 1, 2)}\r\n\r${bar('batch', 3, 3)}\x1b[A`);
  }
  reads.push(`\r\n\r${bar('batch', 3, 3)}\x1b[A\r${bar('batch', 3, 3)}\r\n`);
  reads.push(`\r${bar('epoch', 2, 2)}\r\n`);
  return reads;
}

describe('Screen', () => {
  test('a line redrawn after a move up changes in place', () => {
    const s = new Screen(20, 5);
    s.print('outer 0%', '');
    s.newline();
    s.print('inner 0%', '');
    s.up(1);
    s.carriageReturn();
    s.print('outer 50%', '');
    expect(s.render()).toBe('outer 50%\ninner 0%');
  });

  test('lines scrolled off the top are taken once, and the rows show the rest', () => {
    const s = new Screen(10, 2);
    for (const l of ['a', 'b', 'c', 'd']) {
      s.print(l, '');
      s.newline();
    }
    expect(s.takeScrolled()).toEqual(['a', 'b', 'c']);
    expect(s.takeScrolled()).toEqual([]);
    expect(s.render()).toBe('d');
  });

  test('colours are kept per cell and closed at the end of a row', () => {
    const s = new Screen(10, 2);
    s.print('ab', '\x1b[31m');
    s.print('c', '');
    expect(s.render()).toBe('\x1b[31mab\x1b[0mc');
  });

  test('a scroll region scrolls within itself; what leaves it is gone', () => {
    const s = new Screen(10, 4);
    s.toRow(3);
    s.print('status', '');
    s.setRegion(0, 2);
    for (const l of ['1', '2', '3', '4']) {
      s.print(l, '');
      s.newline();
    }
    expect(s.takeScrolled()).toEqual(['1', '2']);
    expect(s.render()).toBe('3\n4\n\nstatus');
  });

  test('reverse index at the top scrolls down, insert and delete lines move what is below', () => {
    const s = new Screen(10, 3);
    s.print('a', '');
    s.carriageReturn();
    s.reverseIndex();
    s.print('b', '');
    expect(s.render()).toBe('b\na');
    s.toRow(0);
    s.deleteLines(1);
    expect(s.render()).toBe('a');
    s.insertLines(1);
    expect(s.render()).toBe('\na');
  });

  test('erases: the line from the cursor, the screen below, characters', () => {
    const s = new Screen(10, 3);
    s.print('abcdef', '');
    s.newline();
    s.print('ghi', '');
    s.toRow(0);
    s.toColumn(3);
    s.eraseDisplay(0);
    expect(s.render()).toBe('abc');
    s.toColumn(0);
    s.eraseChars(1);
    s.deleteChars(1);
    expect(s.render()).toBe('bc');
  });

  test('a character in the last column wraps only when the next one comes', () => {
    const s = new Screen(3, 3);
    s.print('abc', '');
    expect(s.row).toBe(0);
    s.print('d', '');
    expect(s.render()).toBe('abc\nd');
  });
});

describe('TerminalText with a screen', () => {
  test('nested tqdm bars end as a terminal shows them: the written lines, then both bars', () => {
    const t = new TerminalText(80, 10);
    let stream = '';
    for (const read of nestedBars()) {
      t.write(read);
      // The engine holds a redrawn line a moment: all of this comes before it shows.
      if (t.screen) stream += t.take();
    }
    stream += t.end();
    expect(stream).toBe('');
    expect(t.screen?.render()).toBe('epoch 0 done\nepoch 1 done\nbatch: 3/3\nepoch: 2/2');
  });

  test('lines the stream showed before the move up are not shown again unless drawn over', () => {
    const t = new TerminalText(80, 10);
    t.write('log 1\r\nlog 2\r\n\rbar 0%');
    expect(t.take()).toBe('log 1\nlog 2\nbar 0%');
    t.write('\r\n\rsub 0%\x1b[A\rbar 50%\r\n');
    expect(t.take()).toBe('');
    expect(t.screen?.render()).toBe('bar 50%\nsub 0%');
  });

  test('a partial redraw after the move up keeps the rest of the line the stream showed', () => {
    const t = new TerminalText(80, 10);
    t.write('step 1 of 9: working\r\n');
    t.take();
    t.write('\x1b[A\x1b[5C2');
    expect(t.screen?.render()).toBe('step 2 of 9: working');
  });

  test('a command that only returns the carriage makes no screen', () => {
    const t = new TerminalText(80, 10);
    t.write('\r 10%\r 20%\r\n\x1b[2Kdone\r\n');
    expect(t.screen).toBeNull();
    expect(t.take()).toBe(' 20%\ndone\n');
  });

  test('save and restore on one line stays on the line model; across lines it moves up', () => {
    const one = new TerminalText(80, 10);
    one.write('abc\x1b7def\x1b8X\r\n');
    expect(one.screen).toBeNull();
    expect(one.take()).toBe('abcXef\n');
    const two = new TerminalText(80, 10);
    two.write('top\x1b7\r\nnext\x1b8!');
    expect(two.screen?.render()).toBe('top!\nnext');
  });

  test('a command that moves the cursor forever holds one screen, not its history', () => {
    const t = new TerminalText(80, 10);
    t.write('\x1b[A');
    const screen = t.screen!;
    for (let i = 0; i < 20000; i++) t.write(`\r${i}\x1b[B\x1b[A`);
    expect(screen.takeScrolled()).toEqual([]);
    expect(screen.render()).toBe('19999');
  });

  test('after a move up, a screen of plain lines brings the output back to the line model, nothing lost or shown twice', () => {
    const t = new TerminalText(80, 10);
    const frozen: string[] = [];
    t.onScreenEnd = (screen) => {
      frozen.push(...screen.takeScrolled());
      expect(screen.render()).toBe('');
    };
    t.write('a\r\nb\x1b[A\rA\r\n\r\n');
    expect(t.screen).not.toBeNull();
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
    let stream = '';
    // Cut anywhere, as a pty's reads are.
    const out = lines.join('\r\n') + '\r\n\x1b[31mred\x1b[0m part';
    for (let i = 0; i < out.length; i += 37) {
      t.write(out.slice(i, i + 37));
      stream += t.take();
    }
    expect(t.screen).toBeNull();
    stream += t.end();
    // The display the screen froze, then the stream below it: the scrollback a terminal keeps.
    expect(frozen.join('\n') + '\n' + stream).toBe(
      ['A', 'b', ...lines, '\x1b[31mred\x1b[0m part'].join('\n')
    );
    // Everything drawn on the screen had scrolled off: it holds the rows above the line being drawn.
    expect(frozen).toHaveLength(10 + 9);
    expect(stream.startsWith('line 17\nline 18\n')).toBe(true);
  });

  test('a move up after the output left its screen starts a new one over what the old one showed', () => {
    const t = new TerminalText(80, 4);
    let frozen = 0;
    t.onScreenEnd = () => frozen++;
    t.write('x\x1b[A\r\n1\r\n2\r\n3\r\n4\r\n5\r\n6\r\n7');
    expect(t.screen).toBeNull();
    expect(frozen).toBe(1);
    expect(t.take()).toBe('7');
    t.write('\x1b[A\rsix\r\n');
    expect(t.screen?.render()).toBe('six\n7');
    expect(t.take()).toBe('');
  });

  test('a move up after many lines on the stream draws over its last one, which stays on the screen', () => {
    const t = new TerminalText(80, 10);
    let ended = false;
    t.onScreenEnd = () => (ended = true);
    const lines = Array.from({ length: 100 }, (_, i) => `l ${i}`);
    // Seeding the screen with the lines the stream showed is no output of its own.
    t.write(lines.join('\r\n') + '\r\n');
    expect(t.take()).toBe(lines.join('\n') + '\n');
    t.write('\x1b[A\rX\r\n');
    expect(ended).toBe(false);
    expect(t.take()).toBe('');
    expect(t.screen?.render()).toBe('X 99');
    // And so is a flood the same read had not shown yet: it is on the screen, once.
    const u = new TerminalText(80, 10);
    u.write(lines.join('\r\n') + '\x1b[A\rX\r\n');
    expect(u.take()).toBe('');
    expect(u.screen?.takeScrolled().concat(u.screen.render().split('\n'))).toEqual([
      ...lines.slice(0, 98),
      'X 98',
      'l 99'
    ]);
  });

  test('nested bars that keep moving up stay on one screen however many lines they write between them', () => {
    const t = new TerminalText(80, 10);
    let ended = false;
    t.onScreenEnd = () => (ended = true);
    t.write('\repoch 0\r\n\rbatch 0\x1b[A');
    let stream = '';
    for (let i = 0; i < 500; i++) {
      // tqdm.write: clear both bars, write the message where the outer one was, redraw both below it.
      t.write(`\r${' '.repeat(10)}\r\n\r${' '.repeat(10)}\r\x1b[Amessage ${i}\r\n`);
      t.write(`\repoch ${i}\r\n\rbatch ${i}\x1b[A`);
      stream += t.take();
    }
    expect(ended).toBe(false);
    expect(stream).toBe('');
    const rows = t.screen!.render().split('\n');
    expect(rows.slice(-2)).toEqual(['epoch 499', 'batch 499']);
    expect(rows[rows.length - 3]).toBe('message 499');
  });
});
