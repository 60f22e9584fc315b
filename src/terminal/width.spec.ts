import { columnsFor } from './width';

describe("a notebook's output width in columns", () => {
  test('is the characters that fit, one spare', () => {
    expect(columnsFor(800, 8)).toBe(99);
    expect(columnsFor(803.9, 7.8)).toBe(102);
  });

  test('stays within what a kernel takes', () => {
    expect(columnsFor(100, 8)).toBe(20);
    expect(columnsFor(100000, 8)).toBe(1000);
  });

  test('is nothing where nothing was measured: a hidden panel, a font not drawn', () => {
    expect(columnsFor(0, 8)).toBeNull();
    expect(columnsFor(800, 0)).toBeNull();
    expect(columnsFor(NaN, 8)).toBeNull();
  });
});
