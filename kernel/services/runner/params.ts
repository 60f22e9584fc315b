/**
 * A number as it was typed. JSON.parse would make `1.0` the integer 1 (a
 * Python int where papermill keeps a float) and round a 20-digit integer to
 * the nearest double; each language's literal is written from the digits.
 */
export class NumberText {
  constructor(readonly text: string) {}

  /** An integer beyond 2^53, which a JavaScript number cannot hold exactly. */
  get bigInteger(): boolean {
    return /^-?\d+$/.test(this.text) && !Number.isSafeInteger(Number(this.text));
  }

  /** In the notebook's metadata: the number, or its digits where a double would change it. */
  toJSON(): number | string {
    return this.bigInteger ? this.text : Number(this.text);
  }
}

export type ParameterValue =
  | null
  | boolean
  | number
  | string
  | NumberText
  | ParameterValue[]
  | { [key: string]: ParameterValue };

export type Parameters = Record<string, ParameterValue>;

/** A mistake in how the run was asked for (`warren run` exits 2 with its usage). */
export class UsageError extends Error {}

/**
 * `-p name=value`: the value is read as JSON when it parses (numbers, true,
 * null, arrays, quoted strings), otherwise it is the string as typed. The
 * name is checked once the notebook's language is known (`parameterCell`).
 */
export function parseParameter(arg: string): [string, ParameterValue] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new UsageError(`parameter "${arg}" is not name=value`);
  const name = arg.slice(0, eq).trim();
  const raw = arg.slice(eq + 1);
  let value: ParameterValue;
  try {
    value = Private.parseJSON(raw);
  } catch {
    return [name, raw];
  }
  const huge = Private.numbers(value).find((n) => !Number.isFinite(Number(n.text)));
  if (huge)
    throw new UsageError(
      `parameter ${name}: ${huge.text} is beyond a 64-bit float (it would be Infinity); pass it as a string`
    );
  return [name, value];
}

/**
 * The injected cell's source in the notebook's language, or null for one we
 * cannot write. A name the language cannot assign is a UsageError.
 */
export function parameterCell(language: string, params: Parameters): string | null {
  const names = Object.keys(params);
  const lang = language.toLowerCase();
  const rules = Private.NAMES[lang];
  if (!rules) return null;
  for (const n of names) {
    const why = rules(n);
    if (why) throw new UsageError(`parameter name "${n}" ${why} in ${language}`);
  }
  switch (lang) {
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
    default: {
      // bash, sh: a string as typed, anything else as its JSON.
      const v = (x: ParameterValue) => (typeof x === 'string' ? x : jsonText(x));
      return names.map((n) => `${n}=${shQuote(v(params[n]))}`).join('\n');
    }
  }
}

/**
 * A JavaScript literal. An integer beyond 2^53 is a bigint (`…n`): a number
 * would silently change its digits, a bigint keeps them and TypeScript says
 * so where it meets a number.
 */
export function jsLiteral(v: ParameterValue): string {
  if (v instanceof NumberText) return v.bigInteger ? `${v.text}n` : v.text;
  if (Array.isArray(v)) return `[${v.map(jsLiteral).join(', ')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.entries(v)
      // "__proto__": in a literal would set the prototype; computed, it is a key.
      .map(
        ([k, x]) =>
          `${k === '__proto__' ? `[${Private.jsString(k)}]` : Private.jsString(k)}:${jsLiteral(x)}`
      )
      .join(', ')}}`;
  if (typeof v === 'string') return Private.jsString(v);
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v); // NaN, Infinity, -Infinity
  return JSON.stringify(v);
}

export function pyLiteral(v: ParameterValue): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  // As typed: 1.0 is a float, 1 an int, and an int has all its digits.
  if (v instanceof NumberText) return v.text;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : `float('${v}')`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(pyLiteral).join(', ')}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${JSON.stringify(k)}: ${pyLiteral(x)}`)
    .join(', ')}}`;
}

function rLiteral(v: ParameterValue): string {
  if (v === null) return 'NULL';
  if (v === true) return 'TRUE';
  if (v === false) return 'FALSE';
  if (v instanceof NumberText) return v.text;
  if (typeof v === 'number' || typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `list(${v.map(rLiteral).join(', ')})`;
  return `list(${Object.entries(v)
    .map(([k, x]) => `${JSON.stringify(k)} = ${rLiteral(x)}`)
    .join(', ')})`;
}

/** JSON text with each number as it was typed. */
export function jsonText(v: ParameterValue): string {
  if (v instanceof NumberText) return v.text;
  if (Array.isArray(v)) return `[${v.map(jsonText).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${jsonText(x)}`)
      .join(',')}}`;
  return JSON.stringify(v) as string;
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

namespace Private {
  export function jsString(s: string): string {
    // JSON is a JavaScript literal except for U+2028/2029 in strings before ES2019; escape them anyway.
    return JSON.stringify(s)
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029');
  }

  /**
   * JSON.parse's value, except that each number is a NumberText holding its
   * digits. JSON.parse checks the syntax first, so the walk below may trust it.
   */
  export function parseJSON(text: string): ParameterValue {
    JSON.parse(text);
    const tokens =
      text.match(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|[[\]{}:,]/g) ??
      [];
    let i = 0;
    const value = (): ParameterValue => {
      const t = tokens[i++];
      if (t === '[') {
        const list: ParameterValue[] = [];
        if (tokens[i] === ']') return (i++, list);
        for (;;) {
          list.push(value());
          if (tokens[i++] === ']') return list;
        }
      }
      if (t === '{') {
        const object: { [key: string]: ParameterValue } = {};
        if (tokens[i] === '}') return (i++, object);
        for (;;) {
          const key = JSON.parse(tokens[i]) as string;
          i += 2; // the key and its colon
          // defineProperty, as JSON.parse: a key "__proto__" is a key, not the prototype.
          Object.defineProperty(object, key, {
            value: value(),
            enumerable: true,
            writable: true,
            configurable: true
          });
          if (tokens[i++] === '}') return object;
        }
      }
      if (t === 'true') return true;
      if (t === 'false') return false;
      if (t === 'null') return null;
      if (t.startsWith('"')) return JSON.parse(t) as string;
      return new NumberText(t);
    };
    return value();
  }

  export function numbers(v: ParameterValue): NumberText[] {
    if (v instanceof NumberText) return [v];
    if (Array.isArray(v)) return v.flatMap(numbers);
    if (v !== null && typeof v === 'object') return Object.values(v).flatMap(numbers);
    return [];
  }

  const PYTHON_KEYWORDS = new Set(
    (
      'False None True and as assert async await break class continue def del elif else ' +
      'except finally for from global if import in is lambda nonlocal not or pass raise ' +
      'return try while with yield __debug__'
    ).split(' ')
  );
  /**
   * Reserved in strict code (a cell is a module), the names strict code cannot
   * bind, and the two TypeScript reserves at a module's top level.
   */
  const JS_RESERVED = new Set(
    (
      'break case catch class const continue debugger default delete do else enum export ' +
      'extends false finally for function if import in instanceof new null return super ' +
      'switch this throw true try typeof var void while with implements interface let ' +
      'package private protected public static yield await arguments eval require exports'
    ).split(' ')
  );
  const R_RESERVED = new Set(
    (
      'if else repeat while function for next break TRUE FALSE NULL Inf NaN NA NA_integer_ ' +
      'NA_real_ NA_character_ NA_complex_ in'
    ).split(' ')
  );

  const python = (n: string) =>
    // str.isidentifier(): XID_Start or _, then XID_Continue.
    // (Unicode 15.1 added the joiners to XID_Continue; Python 3.12 and older refuse them.)
    !/^[\p{XID_Start}_]\p{XID_Continue}*$/u.test(n) || /[\u200c\u200d]/.test(n)
      ? 'is not an identifier'
      : PYTHON_KEYWORDS.has(n)
        ? 'is a reserved word'
        : null;
  const javascript = (n: string) =>
    !/^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u.test(n)
      ? 'is not an identifier'
      : JS_RESERVED.has(n)
        ? 'is reserved'
        : null;
  const shell = (n: string) =>
    /^[A-Za-z_][A-Za-z0-9_]*$/.test(n) ? null : 'is not a variable name (ASCII letters, digits, _)';

  /** Why a name cannot be assigned, per language (lower case), or null when it can. */
  export const NAMES: Record<string, ((name: string) => string | null) | undefined> = {
    python,
    typescript: javascript,
    javascript,
    r: (n) =>
      !/^(\p{L}|\.(?![0-9]))[\p{L}\p{N}._]*$/u.test(n)
        ? 'is not a syntactic name'
        : R_RESERVED.has(n) || /^\.\.(\.|\d+$)/.test(n)
          ? 'is a reserved word'
          : null,
    bash: shell,
    sh: shell
  };
}
