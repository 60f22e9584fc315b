import { Script } from 'node:vm';
import type { CellMagicName } from '../../api/magics';
import { isCellMagic, isLineMagic, RUNTIME } from '../../api/magics';

/**
 * Shell lines inside TypeScript cells, and how they become TypeScript.
 *
 * The rule for `!` (documented in README): a line whose first non-blank
 * character is `!` is a shell command unless the word right after the `!`
 * is a name the cell can see (a variable of an earlier cell, one declared in
 * this cell, or a global): `!ls -la` runs ls, `!done` negates `done`. Write
 * `(!x)` to force JavaScript, `!./x` or `!command x` to force the shell.
 * `const r = !cmd` (also let/var) captures instead of printing.
 *
 * Interpolation in a command: `$name` and `${name}` take a TypeScript
 * variable when one exists (else the shell expands them, so `$HOME` and
 * `${HOME}` work; any other `${...}` is the shell's), `{expr}` takes a
 * TypeScript expression, `$$` is a literal `$`, `{{` and `}}` literal braces.
 * Values are inserted as they are, not quoted (as IPython does).
 */

export interface ShellLine {
  kind: 'run' | 'capture' | 'magic';
}

/**
 * A `%%name` first line: the cell is a script for a cell magic of the table
 * (api/magics.ts), or names one that does not exist (`%%` cannot begin TypeScript).
 */
export function cellMagic(
  code: string
): { shell: CellMagicName; args: string; body: string } | { unknown: string } | null {
  const m = /^\s*%%([A-Za-z_][\w-]*)([^\n]*)\n?([\s\S]*)$/.exec(code);
  if (!m) return null;
  if (!isCellMagic(m[1])) return { unknown: m[1] };
  return { shell: m[1], args: m[2].trim(), body: m[3] };
}

/**
 * A `%name args` line: a line magic of the table at any indentation, or an
 * unknown name at the start of a line (where `%` cannot begin TypeScript; an
 * indented `% x` may continue an expression and is left alone).
 */
function lineMagic(line: string): { indent: string; name: string; arg: string } | null {
  const m = /^(\s*)%([A-Za-z_]\w*)(?:\s(.*))?$/.exec(line);
  if (!m || !(isLineMagic(m[2]) || m[1] === '')) return null;
  return { indent: m[1], name: m[2], arg: m[3] ?? '' };
}

/** Rewrites the shell lines of a cell; other lines are kept, so positions of errors stay right. */
export function rewrite(code: string, isKnown: Known): string {
  const known = cellKnown(code, isKnown);
  return shellLines(code, known)
    .map(({ line, shell }) => shell ?? line)
    .join('\n');
}

/**
 * Whether a name is a TypeScript name the cell can see. `asCommand`: asked
 * for the word after a `!`, where a name the kernel itself defines (`display`,
 * `warren`) is the command of that name (ImageMagick's display, warren's CLI).
 */
export type Known = (name: string, asCommand?: boolean) => boolean;

/** `isKnown`, and the names the cell itself declares: variables, functions, parameters, imports. */
function cellKnown(code: string, isKnown: Known): Known {
  const declared = declaredNames(code);
  return (name, asCommand) => declared.has(name) || isKnown(name, asCommand);
}

/** Each line of a cell, with the TypeScript that runs it if it is a shell line or a magic. */
function shellLines(code: string, known: Known): Array<{ line: string; shell?: string }> {
  const scan: Scan = { stack: [], comment: false };
  return code.split('\n').map((line) => {
    // A line that begins inside a template literal or a block comment is
    // text: a markdown image (`![fa](fa.png)`) is no command.
    if (!Private.inText(scan)) {
      const shell = rewriteLine(line, known);
      if (shell !== line) return { line, shell };
    }
    Private.scanLine(line, scan);
    return { line };
  });
}

/** Where a scan of a cell's lines stands at the end of a line. */
interface Scan {
  /** Open template literals and the `${}` placeholders within them, innermost last. */
  stack: Array<{ kind: 'template' } | { kind: 'placeholder'; depth: number }>;
  comment: boolean;
}

/**
 * The names a cell declares, as far as a look at its text tells: variables
 * (destructured ones too, in for...of as well), functions, classes, their
 * parameters and arrow functions', catch clauses' and imports.
 */
export function declaredNames(code: string): Set<string> {
  const declared = new Set<string>();
  const add = (n: string | undefined) => {
    if (n && /^[A-Za-z_$][\w$]*$/.test(n)) declared.add(n);
  };
  for (const m of code.matchAll(/\b(?:let|const|var|function\*?|class)\s+([A-Za-z_$][\w$]*)/g))
    add(m[1]);
  for (const m of code.matchAll(/\b(?:let|const|var)\s*([{[][^=]*?[}\]])\s*(?:=|\bof\b|\bin\b)/g))
    for (const n of Private.patternNames(m[1])) add(n);
  for (const m of code.matchAll(/\bcatch\s*\(\s*([A-Za-z_$][\w$]*)/g)) add(m[1]);
  // Parameters: of functions, of methods (`name(a, b) {`) and of arrow functions.
  for (const m of code.matchAll(
    /(?:\bfunction\b\*?\s*[\w$]*|\b(?!(?:if|for|while|switch|with|catch)\b)[\w$]+)\s*(?:<[^<>()]*>)?\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*(?::[^{=;]+)?(?:\{|=>)/g
  ))
    for (const n of Private.parameterNames(m[1])) add(n);
  for (const n of Private.arrowParameters(code)) add(n);
  // Imports: default, named (`a as b` is b), namespace, and import = require.
  for (const m of code.matchAll(/\bimport\s+(?:type\s+)?([A-Za-z_$][\w$]*)\s*(?:,|\bfrom\b|=)/g))
    add(m[1]);
  for (const m of code.matchAll(/\bimport\s+(?:type\s+)?(?:[\w$]+\s*,\s*)?\{([^}]*)\}/g))
    for (const part of m[1].split(','))
      add(
        part
          .trim()
          .replace(/^type\s+/, '')
          .split(/\s+as\s+/)
          .pop()
          ?.trim()
      );
  for (const m of code.matchAll(/\bimport\s+(?:[\w$]+\s*,\s*)?\*\s*as\s+([A-Za-z_$][\w$]*)/g))
    add(m[1]);
  return declared;
}

/**
 * The cell as a plain list of shell commands and magics, when it is only that
 * and interpolates nothing: such a cell needs no TypeScript compiler at all.
 */
export function plainCommands(
  code: string,
  isKnown: Known
): Array<{ magic?: string; command: string }> | null {
  const out: Array<{ magic?: string; command: string }> = [];
  for (const line of code.split('\n')) {
    if (line.trim() === '') continue;
    const magic = lineMagic(line);
    const run = /^\s*!(.+)$/.exec(line);
    const body = magic ? magic.arg : run && isShellCommand(run[1], isKnown) ? run[1] : null;
    if (body === null) return null;
    const t = template(body, isKnown);
    // An interpolation is a `${` whose `$` no backslash escapes.
    if (/(?<!\\)(?:\\\\)*\$\{/.test(t)) return null;
    // The template's own escapes undone: what the shell gets.
    const command = t.slice(1, -1).replace(/\\([`\\$])/g, '$1');
    out.push(magic ? { magic: magic.name, command } : { command });
  }
  return out.length > 0 ? out : null;
}

/** Blanks shell lines (same length), so the TypeScript service sees only TypeScript at the same positions. */
export function mask(code: string, isKnown: Known): string {
  return shellLines(code, cellKnown(code, isKnown))
    .map(({ line, shell }) => (shell === undefined ? line : ' '.repeat(line.length)))
    .join('\n');
}

function rewriteLine(line: string, known: Known): string {
  const magic = lineMagic(line);
  if (magic) {
    return `${magic.indent}await ${RUNTIME}.magic(${JSON.stringify(magic.name)}, ${template(magic.arg, known)});`;
  }
  const capture =
    /^(\s*(?:export\s+)?(?:const|let|var)\s+[A-Za-z_$][\w$]*\s*(?::[^=]+)?=\s*)!(.+)$/.exec(line);
  if (capture && isShellCommand(capture[2], known)) {
    return `${capture[1]}await ${RUNTIME}.capture(${template(capture[2], known)});`;
  }
  const run = /^(\s*)!(.+)$/.exec(line);
  if (run && isShellCommand(run[2], known)) {
    return `${run[1]}await ${RUNTIME}.run(${template(run[2], known)});`;
  }
  return line;
}

function isShellCommand(rest: string, known: Known): boolean {
  if (/^[\s!(=]/.test(rest)) return false;
  const word = /^[A-Za-z_$][\w$]*/.exec(rest)?.[0];
  if (!word) return true; // ./run.sh, /usr/bin/x, ~/bin/tool
  return !known(word, true);
}

/** A shell command with interpolations, as a TypeScript template literal. */
export function template(command: string, known: Known): string {
  let out = '';
  let i = 0;
  const lit = (s: string) => s.replace(/[`\\]/g, '\\$&').replace(/\$\{/g, '\\${');
  while (i < command.length) {
    const c = command[i];
    if (c === '$' && command[i + 1] === '$') {
      out += '\\$';
      i += 2;
      // `$${name}` is the shell's `${name}`, braces and all.
      const end = command[i] === '{' ? matchingBrace(command, i) : -1;
      if (end > 0) {
        out += lit(command.slice(i, end + 1));
        i = end + 1;
      }
    } else if (c === '$' && command[i + 1] === '{') {
      // `${name}` is `$name`: a TypeScript variable when one exists; any
      // other `${...}` (`${HOME}`, `${f%.mif}`, `${#a[@]}`) is the shell's.
      const end = matchingBrace(command, i + 1);
      const inner = end > 0 ? command.slice(i + 2, end) : '';
      if (/^[A-Za-z_][\w]*$/.test(inner) && known(inner)) {
        out += '${' + inner + '}';
        i = end + 1;
      } else if (end > 0) {
        out += lit(command.slice(i, end + 1));
        i = end + 1;
      } else {
        out += '\\$';
        i++;
      }
    } else if (c === '$') {
      const name = /^[A-Za-z_][\w]*/.exec(command.slice(i + 1))?.[0];
      if (name && known(name)) {
        out += '${' + name + '}';
        i += 1 + name.length;
      } else {
        out += '\\$';
        i++;
      }
    } else if ((c === '{' && command[i + 1] === '{') || (c === '}' && command[i + 1] === '}')) {
      out += c;
      i += 2;
    } else if (c === '{') {
      const end = matchingBrace(command, i);
      const expr = end > 0 ? command.slice(i + 1, end) : '';
      if (end > 0 && expr.trim() && compiles(expr) && Private.interpolates(expr, known)) {
        out += '${' + expr + '}';
        i = end + 1;
      } else {
        out += '{';
        i++;
      }
    } else {
      out += lit(c);
      i++;
    }
  }
  return '`' + out + '`';
}

function matchingBrace(s: string, open: number): number {
  let depth = 0;
  for (let j = open; j < s.length; j++) {
    if (s[j] === '{') depth++;
    else if (s[j] === '}' && --depth === 0) return j;
  }
  return -1;
}

/** `{1..3}` and `{a,b}` are bash's brace expansion, not TypeScript: keep what does not compile. */
function compiles(expr: string): boolean {
  if (/^[\w.-]*\.\.[\w.-]*$/.test(expr.trim()) || /^[^()]*,[^()]*$/.test(expr)) return false;
  try {
    new Script(`(${expr})`);
    return true;
  } catch {
    return false;
  }
}

namespace Private {
  /** Whether a scan stands inside a template literal's text or a block comment. */
  export function inText(scan: Scan): boolean {
    return scan.comment || scan.stack[scan.stack.length - 1]?.kind === 'template';
  }

  /**
   * Follows a line of TypeScript: strings (which end with their line),
   * comments, template literals and their placeholders. Regular expression
   * literals are not told apart from division.
   */
  export function scanLine(line: string, scan: Scan): void {
    let i = 0;
    while (i < line.length) {
      const c = line[i];
      const top = scan.stack[scan.stack.length - 1];
      if (scan.comment) {
        if (c === '*' && line[i + 1] === '/') {
          scan.comment = false;
          i += 2;
        } else i++;
      } else if (top?.kind === 'template') {
        if (c === '\\') i += 2;
        else if (c === '`') {
          scan.stack.pop();
          i++;
        } else if (c === '$' && line[i + 1] === '{') {
          scan.stack.push({ kind: 'placeholder', depth: 0 });
          i += 2;
        } else i++;
      } else if (c === '/' && line[i + 1] === '/') {
        return;
      } else if (c === '/' && line[i + 1] === '*') {
        scan.comment = true;
        i += 2;
      } else if (c === '"' || c === "'") {
        let j = i + 1;
        while (j < line.length && line[j] !== c) j += line[j] === '\\' ? 2 : 1;
        i = j + 1;
      } else if (c === '`') {
        scan.stack.push({ kind: 'template' });
        i++;
      } else {
        if (top?.kind === 'placeholder' && c === '{') top.depth++;
        else if (top?.kind === 'placeholder' && c === '}') {
          if (top.depth === 0) scan.stack.pop();
          else top.depth--;
        }
        i++;
      }
    }
  }

  /** The names arrow functions in `code` bind: `(a, { b }) =>`, `(a): T =>`, `a =>`. */
  export function arrowParameters(code: string): string[] {
    const out: string[] = [];
    for (const m of code.matchAll(/\(([^()]*)\)\s*(?::[^=;]+)?=>/g))
      out.push(...parameterNames(m[1]));
    for (const m of code.matchAll(/(?:^|[^\w$.])([A-Za-z_$][\w$]*)\s*=>/g)) out.push(m[1]);
    return out;
  }

  /** The names a parameter list binds (types and default values left out). */
  export function parameterNames(list: string): string[] {
    const out: string[] = [];
    for (const part of topLevel(list, ',')) {
      const p = part.trim().replace(/^(?:\.\.\.|(?:public|private|protected|readonly)\s+)+/, '');
      if (/^[{[]/.test(p)) out.push(...patternNames(p));
      else {
        const name = /^[A-Za-z_$][\w$]*/.exec(p)?.[0];
        if (name && name !== 'this') out.push(name);
      }
    }
    return out;
  }

  /** The names a destructuring pattern binds: `{ a, b: c, ...d }` binds a, c and d. */
  export function patternNames(pattern: string): string[] {
    const out: string[] = [];
    for (const m of pattern.matchAll(/([A-Za-z_$][\w$]*)\s*(?=[,}\]=]|$)/g)) {
      const before = pattern.slice(0, m.index).trimEnd();
      // A default value's names (`{ a = b }`) are read, not bound.
      if (!before.endsWith('=')) out.push(m[1]);
    }
    return out;
  }

  /** `text` split at `separator` outside brackets. */
  function topLevel(text: string, separator: string): string[] {
    const parts: string[] = [];
    let depth = 0;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if ('([{<'.includes(c)) depth++;
      else if (')]}>'.includes(c)) depth--;
      else if (c === separator && depth === 0) {
        parts.push(text.slice(start, i));
        start = i + 1;
      }
    }
    parts.push(text.slice(start));
    return parts;
  }

  const WORDS = new Set(
    (
      'true false null undefined this typeof instanceof new void in of await async function ' +
      'return if else NaN Infinity as satisfies keyof delete yield super'
    ).split(' ')
  );

  /**
   * Whether `{expr}` in a command is TypeScript to interpolate: it changes
   * nothing (no assignment, no ++ or --) and every name it reads is one the
   * cell can see. Otherwise it is the command's own text, as in IPython: an
   * awk program `{print $1}`, `{n++}`, a jq filter `{name}`.
   */
  export function interpolates(expr: string, known: Known): boolean {
    const code = expr.replace(/(["'`])(?:\\.|(?!\1)[^\\])*\1/g, '""');
    if (/\+\+|--|(?:^|[^=!<>])=(?![=>])/.test(code)) return false;
    const bound = new Set(arrowParameters(code));
    for (const m of code.matchAll(/[A-Za-z_$][\w$]*/g)) {
      const before = code.slice(0, m.index);
      if (/[\w$]$/.test(before)) continue;
      // A property (`a.b`, `a?.b`, but not a spread `...b`) or a key (`{ b: 1 }`).
      if (/(?<!\.)\.$|\?\.$/.test(before.replace(/\.\.\.$/, ''))) continue;
      if (/^\s*:/.test(code.slice(m.index + m[0].length)) && /[{,]\s*$/.test(before)) continue;
      if (WORDS.has(m[0]) || bound.has(m[0])) continue;
      if (!known(m[0])) return false;
    }
    return true;
  }
}
