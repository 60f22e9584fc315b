import { TerminalText } from './terminal';

/** What JupyterLab's output area shows for stream text with carriage returns. */
function shown(text: string): string {
  return text
    .split('\n')
    .map((line) => line.split('\r').reduce((base, insert) => insert + base.slice(insert.length), ''))
    .join('\n');
}

describe('TerminalText', () => {
  test('plain lines pass through with CRLF made LF', () => {
    const t = new TerminalText();
    t.write('one\r\ntwo\r\nthr');
    t.write('ee\r\n');
    expect(t.take()).toBe('one\ntwo\nthree\n');
  });

  test("MRtrix3's progress redraws collapse into one clean final line", () => {
    const t = new TerminalText();
    let out = '';
    for (const pct of [0, 10, 42, 100]) {
      t.write(`\x1b[?7l\rmrconvert: [${String(pct).padStart(3)}%] copying image data...\x1b[0K\x1b[?7h`);
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

  test('a DCS sequence goes to its handler and not into the text', () => {
    const t = new TerminalText();
    const bodies: string[] = [];
    t.onDcs = (b) => bodies.push(b);
    t.write('before \x1bPq"1;1;2;2#0~~\x1b');
    t.write('\\ after\n');
    expect(t.take()).toBe('before  after\n');
    expect(bodies).toEqual(['q"1;1;2;2#0~~']);
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
});
