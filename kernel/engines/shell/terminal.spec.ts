import { TerminalText } from './terminal';

/** What JupyterLab's output area shows for stream text with carriage returns. */
function shown(text: string): string {
  return text
    .split('\n')
    .map((line) =>
      line.split('\r').reduce((base, insert) => insert + base.slice(insert.length), '')
    )
    .join('\n');
}

describe('TerminalText', () => {
  test('plain lines pass through with CRLF made LF', () => {
    const t = new TerminalText();
    t.write('one\r\ntwo\r\nthr');
    t.write('ee\r\n');
    expect(t.take()).toBe('one\ntwo\nthree\n');
  });

  test('a line end cut between two reads, after the carriage return, is one newline', () => {
    const t = new TerminalText();
    t.write('one\r');
    expect(t.take()).toBe('one');
    t.write('\ntwo\r');
    t.write('\nthree\r\n');
    expect(t.take()).toBe('\ntwo\nthree\n');
  });

  test('lines in a colour set by an earlier read keep it, however the reads fall', () => {
    const t = new TerminalText();
    t.write('\x1b[31mred\r\n');
    let out = t.take();
    t.write('more\r\n');
    out += t.take();
    t.write('\x1b[0mplain\r\n');
    out += t.take();
    expect(out).toBe('\x1b[31mred\x1b[0m\n\x1b[31mmore\x1b[0m\nplain\n');
  });

  test('a carriage return that ends a read still sends the cursor back', () => {
    const t = new TerminalText();
    t.write('abc\r');
    expect(t.take()).toBe('abc');
    t.write('X');
    expect(shown(t.take())).toBe('Xbc');
    t.write('\r');
    expect(shown(t.end())).toBe('');
  });

  test('plain text and controls mixed in a flood of reads come out as one read of all of it would', () => {
    const chunks = [
      'line\r\n'.repeat(100),
      'a\tb\r',
      '\nc\x07d\r\n',
      'e\bf\r\n',
      '\x1b[1mg\x1b[0m\r',
      '\n'
    ];
    const one = new TerminalText();
    one.write(chunks.join(''));
    const many = new TerminalText();
    let out = '';
    for (const c of chunks) {
      many.write(c);
      out += many.take();
    }
    expect(shown(out + many.end())).toBe(shown(one.end()));
  });

  test("MRtrix3's progress redraws collapse into one clean final line", () => {
    const t = new TerminalText();
    let out = '';
    for (const pct of [0, 10, 42, 100]) {
      t.write(
        `\x1b[?7l\rmrconvert: [${String(pct).padStart(3)}%] copying image data...\x1b[0K\x1b[?7h`
      );
      out += t.take();
    }
    t.write('\x1b[?7l\rmrconvert: [100%] copying image data\x1b[0K\x1b[?7h\n');
    out += t.end();
    expect(out).not.toMatch(/\x1b\[\?7|\x1b\[0K/);
    expect(shown(out).trimEnd()).toBe('mrconvert: [100%] copying image data');
  });

  test('redraws between two takes produce a single update', () => {
    const t = new TerminalText();
    for (let i = 0; i < 50; i++) t.write(`\rstep ${i}`);
    expect(t.take()).toBe('step 49');
    t.write('\rstep 50');
    expect(t.take()).toBe('\rstep 50');
  });

  test('colours are kept, other sequences dropped, and cut sequences carried over', () => {
    const t = new TerminalText();
    t.write('\x1b[31mred\x1b[0m plain \x1b]0;title\x07\x1b[');
    t.write('?25ldone\n');
    expect(t.take()).toBe('\x1b[31mred\x1b[0m plain done\n');
  });

  test('colon sub-parameters stay inside their sequence; their colours are written as JupyterLab reads them', () => {
    const t = new TerminalText();
    t.write('red \x1b[38:2:255:0:0mTRUE\x1b[0m \x1b[4:3mcurly\x1b[0m end\n');
    expect(t.take()).toBe('red \x1b[38;2;255;0;0mTRUE\x1b[0m \x1b[4mcurly\x1b[0m end\n');
    // A colour space id, a 256-colour background, and an underline colour JupyterLab has no use for.
    t.write('\x1b[38:2:0:1:2:3;48:5:17ma\x1b[58:2::9:9:9mb\x1b[4:0mc\x1b[m\n');
    expect(t.take()).toBe(
      '\x1b[38;2;1;2;3;48;5;17mab\x1b[0m\x1b[38;2;1;2;3;48;5;17m\x1b[24mc\x1b[0m\n'
    );
  });

  test('a CSI with any ECMA-48 intermediate byte ends at its final byte', () => {
    const t = new TerminalText();
    // DECSCUSR (space), DECRQM ($), DECSCL ("), DECSTR (!), and # & * + , - . / intermediates.
    t.write(
      'a\x1b[2 qb\x1b[?25$pc\x1b[62;1"pd\x1b[!pe\x1b[1#|f\x1b[1&xg\x1b[1*xh\x1b[1+pi\x1b[1,pj\x1b[1-pk\x1b[1.pl\x1b[1/pm\n'
    );
    expect(t.take()).toBe('abcdefghijklm\n');
    // An intermediate byte makes it no SGR: no colour is set.
    t.write('\x1b[1 mplain\n');
    expect(t.take()).toBe('plain\n');
  });

  test('a DCS sequence goes to its handler and not into the text', () => {
    const t = new TerminalText();
    const bodies: string[] = [];
    t.onDcs = (b) => bodies.push(b);
    t.write('before \x1bPq"1;1;2;2#0~~\x1b');
    t.write('\\ after\n');
    expect(t.take()).toBe('before  after\n');
    expect(bodies).toEqual(['q"1;1;2;2#0~~']);
  });

  test('a DCS body cut into many chunks, its ST split too, arrives whole and once', () => {
    const t = new TerminalText();
    const got: [string, string][] = [];
    t.onDcs = (b, end) => got.push([b, end]);
    const body = 'q"1;1;4;6#0;2;100;0;0' + '#0!4~-'.repeat(5000);
    const data = 'a\n\x1bP' + body + '\x1b\\b\n';
    // 7-character chunks: the ST lands across a boundary somewhere.
    for (let i = 0; i < data.length; i += 7) t.write(data.slice(i, i + 7));
    expect(got).toEqual([[body, 'complete']]);
    expect(t.take()).toBe('a\nb\n');
  });

  test('a DCS that the stream ends inside goes out as truncated', () => {
    const t = new TerminalText();
    const got: [string, string][] = [];
    t.onDcs = (b, end) => got.push([b, end]);
    t.write('x\x1bPq#0~~');
    t.write('~~');
    expect(t.end()).toBe('x');
    expect(got).toEqual([['q#0~~~~', 'truncated']]);
  });

  test('a DCS over the size cap keeps only its head and never leaks as text', () => {
    const t = new TerminalText();
    const got: [string, string, number][] = [];
    t.onDcs = (b, end) => got.push([b.slice(0, 3), end, b.length]);
    t.write('\x1bPq"1;1;9;9');
    const block = '~'.repeat(1024 * 1024);
    for (let i = 0; i < 65; i++) t.write(block);
    t.write('\x1b\\after\n');
    expect(got).toEqual([['q"1', 'overflow', 64]]);
    expect(t.take()).toBe('after\n');
  });

  test('queries go to onQuery with their parameters and leave no text', () => {
    const t = new TerminalText();
    const q: string[] = [];
    t.onQuery = (params, final) => q.push(params + final);
    t.write('ab\x1b[c\x1b[6n\x1b[14t\x1b[?2;1;0S\x1b[>c\n');
    expect(q).toEqual(['c', '6n', '14t', '?2;1;0S', '>c']);
    expect(t.column).toBe(0);
    expect(t.take()).toBe('ab\n');
  });

  test('backspace and erase-to-end edit the line being drawn', () => {
    const t = new TerminalText();
    t.write('abcdef\b\b\x1b[Kxy\n');
    expect(t.take()).toBe('abcdxy\n');
  });
});

describe('TerminalText streaming', () => {
  test('a line cut across takes is continued, not redrawn', () => {
    const t = new TerminalText();
    t.write('948');
    expect(t.take()).toBe('948');
    t.write('9\n9490\n');
    expect(t.take()).toBe('9\n9490\n');
  });

  test('a cursor sent a trillion columns right stops at the right margin', () => {
    const t = new TerminalText(80);
    t.write('\x1b[999999999999Cx\r\n');
    t.write('ab\x1b[999999999999Gc\r\n');
    expect(t.take()).toBe(' '.repeat(79) + 'x\n' + 'ab' + ' '.repeat(77) + 'c\n');
  });

  test('endless CSI parameters and SGR runs are dropped, not carried', () => {
    const t = new TerminalText();
    t.write('a\x1b[' + '1;'.repeat(100000));
    t.write('1;'.repeat(100000) + 'mb');
    for (let i = 0; i < 100000; i++) t.write('\x1b[1m\x1b[31m');
    t.write('c\x1b[0m\n');
    const out = t.take();
    expect(out.replace(/\x1b\[[0-9;]*m/g, '')).toBe('abc\n');
    // The style of `c` is the latest few sequences, not 200,000 of them.
    expect(out.length).toBeLessThan(2000);
  });

  test('a 20 MB line without a newline streams whole, in order, pushed as it comes', () => {
    const t = new TerminalText();
    const chunk = 'abcdefghij'.repeat(3277);
    let out = '';
    let pushes = 0;
    for (let i = 0; i < 640; i++) {
      t.write(chunk);
      const got = t.take();
      if (got) pushes++;
      out += got;
    }
    out += t.end();
    expect(out).toBe(chunk.repeat(640));
    expect(pushes).toBe(640);
  });

  test('a redraw after a very long line rewrites its last stretch, not the text already committed', () => {
    const t = new TerminalText();
    t.write('x'.repeat(200_000));
    t.write('\rprogress 1');
    t.write('\rprogress 2\n');
    const out = t.take();
    // The head went out as it came; the redraw lands in the last stretch, whole-line length kept.
    expect(out.startsWith('x'.repeat(100_000))).toBe(true);
    expect(out).toHaveLength(200_001);
    expect(out).toContain('progress 2');
    expect(out).not.toContain('progress 1');
    expect(out).not.toMatch(/[\x1b\r]/);
  });
});
