import { CellFrames } from './cell-frames';

/** Cell `n`: one line of 100 characters, its script the line itself. */
const cell = (n: number) => ({
  label: `In[${n}]`,
  text: 'x'.repeat(100),
  linesBefore: 0,
  columnsBefore: 0,
  lines: 1
});

describe('CellFrames', () => {
  test("a frame in a cell's wrapper is left out, one in its code is the cell's line; other frames stay", () => {
    const frames = new CellFrames();
    const file = frames.add({
      label: 'In[4]',
      text: 'const a = 1\nboom(a)',
      linesBefore: 1,
      columnsBefore: 0,
      lines: 2
    });
    expect(
      frames.rewrite([
        `    at boom (${file}:3:1)`,
        '    at Array.map (<anonymous>)',
        `    at ${file}:1:1`,
        `    at async Proxy.go (${file}:4:2)`
      ])
    ).toEqual([
      '    at boom (Cell In[4]:2:1)',
      '        boom(a)',
      '    at Array.map (<anonymous>)'
    ]);
  });

  test("the source map leads to the cell's position; a name called on the cells' exports loses its Proxy", () => {
    const frames = new CellFrames();
    // Line 0 of the code, from column 0, maps to line 1, column 2 of the cell.
    const file = frames.add({
      label: 'In[9]',
      text: '// note\n  f()',
      mappings: 'AACE',
      linesBefore: 0,
      columnsBefore: 10,
      lines: 1
    });
    expect(frames.rewrite([`    at Proxy.f (${file}:1:12)`])).toEqual([
      '    at f (Cell In[9]:2:3)',
      '        f()'
    ]);
  });

  test('the oldest cells go past the size kept, and their frames say so', () => {
    const frames = new CellFrames(400);
    const first = frames.add(cell(1));
    const second = frames.add(cell(2));
    const third = frames.add(cell(3));
    expect(frames.rewrite([`    at f (${first}:1:1)`])).toEqual([
      '    at f (an earlier cell, no longer kept)'
    ]);
    expect(frames.rewrite([`    at ${second}:1:1`, `    at ${third}:1:1`])).toEqual([
      '    at Cell In[2]:1:1',
      `        ${'x'.repeat(100)}`,
      '    at Cell In[3]:1:1',
      `        ${'x'.repeat(100)}`
    ]);
  });

  test('a cell that ran to its end is forgotten unless it defines functions, and its size is free for others', () => {
    const frames = new CellFrames(400);
    const withFunction = frames.add(cell(1));
    const plain = frames.add(cell(2));
    frames.ran(plain, false);
    frames.ran(withFunction, true);
    expect(frames.kept).toBe(1);
    expect(frames.rewrite([`    at ${plain}:1:1`])).toEqual([
      '    at (an earlier cell, no longer kept)'
    ]);
    // Three cells do not fit in 400 characters, two do: the oldest stays.
    const third = frames.add(cell(3));
    expect(frames.kept).toBe(2);
    expect(frames.rewrite([`    at f (${withFunction}:1:1)`, `    at ${third}:1:1`])).toEqual([
      '    at f (Cell In[1]:1:1)',
      `        ${'x'.repeat(100)}`,
      '    at Cell In[3]:1:1',
      `        ${'x'.repeat(100)}`
    ]);
  });
});
