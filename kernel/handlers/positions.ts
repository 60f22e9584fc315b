/**
 * The protocol counts cursor positions in Unicode code points; JavaScript
 * strings index UTF-16 units. An emoji before the cursor is one code point
 * and two units: convert at the boundary, both ways.
 */
export function codePointToUnit(text: string, cp: number): number {
  let unit = 0;
  for (let i = 0; i < cp && unit < text.length; i++) {
    unit += text.codePointAt(unit)! > 0xffff ? 2 : 1;
  }
  return unit;
}

export function unitToCodePoint(text: string, unit: number): number {
  return Array.from(text.slice(0, unit)).length;
}
