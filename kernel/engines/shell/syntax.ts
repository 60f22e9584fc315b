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
export function rewrite(code: string, isKnown: (name: string) => boolean): string {
  const declared = new Set<string>();
  for (const m of code.matchAll(/\b(?:let|const|var|function\*?|class)\s+([A-Za-z_$][\w$]*)/g))
    declared.add(m[1]);
  for (const m of code.matchAll(/\b(?:let|const|var)\s*[{[]([^=]*)[}\]]\s*=/g)) {
    for (const n of m[1].split(/[\s,:]+/)) if (n) declared.add(n);
  }
  const known = (name: string) => declared.has(name) || isKnown(name);
  return code
    .split('\n')
    .map((line) => rewriteLine(line, known))
    .join('\n');
}

/**
 * The cell as a plain list of shell commands and magics, when it is only that
 * and interpolates nothing: such a cell needs no TypeScript compiler at all.
 */
export function plainCommands(
  code: string,
  isKnown: (name: string) => boolean
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
export function mask(code: string, isKnown: (name: string) => boolean): string {
  return code
    .split('\n')
    .map((line) => (rewriteLine(line, isKnown) === line ? line : ' '.repeat(line.length)))
    .join('\n');
}

function rewriteLine(line: string, known: (name: string) => boolean): string {
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

function isShellCommand(rest: string, known: (name: string) => boolean): boolean {
  if (/^[\s!(=]/.test(rest)) return false;
  const word = /^[A-Za-z_$][\w$]*/.exec(rest)?.[0];
  if (!word) return true; // ./run.sh, /usr/bin/x, ~/bin/tool
  return !known(word);
}

/** A shell command with interpolations, as a TypeScript template literal. */
export function template(command: string, known: (name: string) => boolean): string {
  let out = '';
  let i = 0;
  const lit = (s: string) => s.replace(/[`\\]/g, '\\$&').replace(/\$\{/g, '\\${');
  while (i < command.length) {
    const c = command[i];
    if (c === '$' && command[i + 1] === '$') {
      out += '\\$';
      i += 2;
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
      if (end > 0 && expr.trim() && compiles(expr)) {
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
