import type { JSONValue } from '../../../src/contract';

export type Parameters = Record<string, JSONValue>;

/**
 * `-p name=value`: the value is read as JSON when it parses (numbers, true,
 * null, arrays, quoted strings), otherwise it is the string as typed.
 */
export function parseParameter(arg: string): [string, JSONValue] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new Error(`parameter "${arg}" is not name=value`);
  const name = arg.slice(0, eq).trim();
  if (!/^[A-Za-z_$][\w$]*$/.test(name))
    throw new Error(`parameter name "${name}" is not an identifier`);
  const raw = arg.slice(eq + 1);
  try {
    return [name, JSON.parse(raw) as JSONValue];
  } catch {
    return [name, raw];
  }
}

/** The injected cell's source in the notebook's language, or null for one we cannot write. */
export function parameterCell(language: string, params: Parameters): string | null {
  const names = Object.keys(params);
  switch (language.toLowerCase()) {
    case 'typescript':
    case 'javascript':
      // A later declaration shadows the parameters cell's, as papermill's
      // assignment replaces Python's. `let`, as a parameter is a variable: a
      // later cell may assign it, and its type is widened (`"sub-01"` is a
      // string, not that one literal, so `subject === 'all'` still checks).
      return names.map((n) => `let ${n} = ${jsLiteral(params[n])};`).join('\n');
    case 'python':
      return names.map((n) => `${n} = ${pyLiteral(params[n])}`).join('\n');
    case 'r':
      return names.map((n) => `${n} = ${rLiteral(params[n])}`).join('\n');
    case 'bash':
    case 'sh':
      return names
        .map(
          (n) =>
            `${n}=${shQuote(typeof params[n] === 'string' ? String(params[n]) : JSON.stringify(params[n]))}`
        )
        .join('\n');
    default:
      return null;
  }
}

export function jsLiteral(v: JSONValue): string {
  // JSON is a JavaScript literal except for U+2028/2029 in strings before ES2019; escape them anyway.
  return JSON.stringify(v)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function pyLiteral(v: JSONValue): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : `float('${v}')`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(pyLiteral).join(', ')}]`;
  return `{${Object.entries(v)
    .filter(([, x]) => x !== undefined)
    .map(([k, x]) => `${JSON.stringify(k)}: ${pyLiteral(x as JSONValue)}`)
    .join(', ')}}`;
}

function rLiteral(v: JSONValue): string {
  if (v === null) return 'NULL';
  if (v === true) return 'TRUE';
  if (v === false) return 'FALSE';
  if (typeof v === 'number' || typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `list(${v.map(rLiteral).join(', ')})`;
  return `list(${Object.entries(v)
    .map(([k, x]) => `${JSON.stringify(k)} = ${rLiteral(x as JSONValue)}`)
    .join(', ')})`;
}

export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * What a run says when it is given parameters but the notebook has no cell
 * tagged `parameters`: they go in at the top, and any later assignment in the
 * notebook (`const subject = 'sub-01'`) silently wins over them.
 */
export function noParametersCellWarning(names: string[]): string {
  return (
    `warren: this notebook has no cell tagged "parameters", so ${names.join(', ')} ` +
    `${names.length === 1 ? 'was' : 'were'} put in a new first cell; a later cell that sets ` +
    `${names.length === 1 ? 'it' : 'them'} again wins. Tag the cell that holds the defaults "parameters".`
  );
}
