import type { Extension, Range } from '@codemirror/state';
import { Prec } from '@codemirror/state';
import type { DecorationSet, ViewUpdate } from '@codemirror/view';
import { Decoration, EditorView, ViewPlugin } from '@codemirror/view';
import { highlightingFor } from '@codemirror/language';
import type { EditorState } from '@codemirror/state';
import { tags } from '@lezer/highlight';
import type { Tag } from '@lezer/highlight';

/**
 * Shell inside warren's TypeScript cells, highlighted as shell: `!` lines,
 * `const r = !cmd` captures, `%` magic lines and the body of `%%bash` /
 * `%%sh` cells. The TypeScript parser still runs over them (the cell is one
 * TypeScript document to the editor); these marks sit under its marks and
 * restyle the text with the editor's own highlight classes for shell tokens.
 *
 * The `!` rule is the kernel's (kernel/engines/shell/syntax.ts, which src
 * may not import): a `!` line is shell unless the word after the `!` is a
 * name. The editor cannot see earlier cells' names; it sees this cell's
 * declarations, so `let ok = true` then `!ok` stays TypeScript.
 */

export type ShellTag =
  | 'meta'
  | 'command'
  | 'keyword'
  | 'string'
  | 'comment'
  | 'variable'
  | 'operator'
  | 'option'
  | 'number';

export interface ShellToken {
  from: number;
  to: number;
  tag: ShellTag;
}

export interface ShellSpan {
  /** The shell text (after the `!`, the magic's name, or the `%%bash` line). */
  from: number;
  to: number;
  /** The `!`, `%name` or `%%bash ...` that makes it shell. */
  marker: { from: number; to: number };
}

/** The shell spans of a cell's text, in order. */
export function shellSpans(text: string): ShellSpan[] {
  const cell = /^(\s*)(%%(?:bash|sh)\b[^\n]*)(\n|$)/.exec(text);
  if (cell) {
    const markerFrom = cell[1].length;
    const markerTo = markerFrom + cell[2].length;
    return [{ from: markerTo, to: text.length, marker: { from: markerFrom, to: markerTo } }];
  }
  const declared = new Set<string>();
  for (const m of text.matchAll(/\b(?:let|const|var|function\*?|class)\s+([A-Za-z_$][\w$]*)/g))
    declared.add(m[1]);
  const spans: ShellSpan[] = [];
  let at = 0;
  for (const line of text.split('\n')) {
    const span = Private.lineSpan(line, declared);
    if (span)
      spans.push({
        from: at + span.from,
        to: at + line.length,
        marker: { from: at + span.marker, to: at + span.from }
      });
    at += line.length + 1;
  }
  return spans;
}

/** Shell tokens of `text[from, to)`, with offsets into `text`. */
export function shellTokens(text: string, from: number, to: number): ShellToken[] {
  const out: ShellToken[] = [];
  let i = from;
  let commandNext = true;
  const push = (start: number, end: number, tag: ShellTag) => {
    if (end > start) out.push({ from: start, to: end, tag });
  };
  while (i < to) {
    const c = text[i];
    if (c === '\n') {
      commandNext = true;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#') {
      const end = Private.lineEnd(text, i, to);
      push(i, end, 'comment');
      i = end;
    } else if (c === "'") {
      const close = text.indexOf("'", i + 1);
      const end = close < 0 || close >= to ? to : close + 1;
      push(i, end, 'string');
      i = end;
      commandNext = false;
    } else if (c === '"') {
      let j = i + 1;
      while (j < to && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const end = Math.min(j + 1, to);
      push(i, end, 'string');
      i = end;
      commandNext = false;
    } else if (c === '$') {
      const m = /^\$(?:\{[^}\n]*\}?|[A-Za-z_]\w*|[0-9?#@*$!-])/.exec(text.slice(i, to));
      const end = i + (m ? m[0].length : 1);
      push(i, end, 'variable');
      i = end;
      commandNext = false;
    } else if ('|&;<>()'.includes(c)) {
      const m = /^(?:\|\||&&|;;|>>|<<-?|>&|<&|&>|\|&|[|&;<>()])/.exec(text.slice(i, to));
      const end = i + (m ? m[0].length : 1);
      push(i, end, 'operator');
      // After a redirection comes its file, not a command.
      if (!/^[<>]/.test(m?.[0] ?? '')) commandNext = true;
      i = end;
    } else {
      const m = /^[^\s'"$|&;<>()]+/.exec(text.slice(i, to));
      const word = m ? m[0] : c;
      const end = i + word.length;
      const loop =
        out.length >= 1 && out[out.length - 1].tag === 'keyword' ? out[out.length - 1] : null;
      if (
        word === 'in' &&
        loop &&
        /^(for|case|select)$/.test(text.slice(loop.from, loop.to)) &&
        /^\s+\S+\s+$/.test(text.slice(loop.to, i))
      ) {
        push(i, end, 'keyword');
      } else if (commandNext && Private.KEYWORDS.has(word)) {
        push(i, end, 'keyword');
        commandNext = Private.COMMAND_AFTER.has(word);
      } else if (commandNext && /^[A-Za-z_]\w*=/.test(word)) {
        push(i, i + word.indexOf('='), 'variable');
      } else if (commandNext) {
        push(i, end, 'command');
        commandNext = false;
      } else if (/^-/.test(word)) {
        push(i, end, 'option');
      } else if (/^\d+$/.test(word)) {
        push(i, end, 'number');
      }
      i = end;
    }
  }
  return out;
}

/** The lezer tag that each shell token is highlighted as, as CodeMirror's shell mode does. */
export const SHELL_TAGS: Record<ShellTag, Tag> = {
  meta: tags.meta,
  command: tags.standard(tags.variableName),
  keyword: tags.keyword,
  string: tags.string,
  comment: tags.comment,
  variable: tags.special(tags.variableName),
  operator: tags.operator,
  option: tags.attributeName,
  number: tags.number
};

/** CSS class of a whole shell span; the tokens inside carry `-token` too. */
export const SHELL_CLASS = 'jp-WarrenShell';

/** The marks for a state: each shell span, and its tokens with the editor's highlight classes. */
export function shellMarks(state: EditorState): Range<Decoration>[] {
  const text = state.doc.toString();
  const marks: Range<Decoration>[] = [];
  const mark = (from: number, to: number, tag: ShellTag) => {
    const cls = highlightingFor(state, [SHELL_TAGS[tag]]);
    marks.push(
      Decoration.mark({
        class: `${SHELL_CLASS}-token${cls ? ' ' + cls : ''}`,
        attributes: { 'data-shell': tag }
      }).range(from, to)
    );
  };
  for (const span of shellSpans(text)) {
    if (span.to > span.marker.from)
      marks.push(Decoration.mark({ class: SHELL_CLASS }).range(span.marker.from, span.to));
    mark(span.marker.from, span.marker.to, 'meta');
    for (const t of shellTokens(text, span.from, span.to)) mark(t.from, t.to, t.tag);
  }
  return marks;
}

/**
 * The editor extension: marks kept up to date with the text, for as long as
 * `enabled()` (the cell belongs to a warren notebook). Lowest precedence, so
 * its marks sit inside the TypeScript highlighter's and their colours win;
 * the theme below neutralises TypeScript's where they end up inside instead.
 */
export function shellLines(enabled: () => boolean): Extension {
  const plugin = ViewPlugin.fromClass(
    class {
      decorations: DecorationSet;
      private on: boolean;
      constructor(view: EditorView) {
        this.on = enabled();
        this.decorations = this.build(view.state);
      }
      update(update: ViewUpdate) {
        const on = enabled();
        if (
          on !== this.on ||
          update.docChanged ||
          update.transactions.some((t) => t.reconfigured)
        ) {
          this.on = on;
          this.decorations = this.build(update.state);
        }
      }
      private build(state: EditorState): DecorationSet {
        return this.on ? Decoration.set(shellMarks(state), true) : Decoration.none;
      }
    },
    { decorations: (v) => v.decorations }
  );
  return [
    Prec.lowest(plugin),
    EditorView.baseTheme({
      [`.${SHELL_CLASS}`]: {
        color: 'var(--jp-content-font-color1)',
        fontWeight: 'normal',
        fontStyle: 'normal'
      },
      [`.${SHELL_CLASS} span:not(.${SHELL_CLASS}-token)`]: {
        color: 'inherit !important',
        fontWeight: 'inherit !important',
        fontStyle: 'inherit !important'
      }
    })
  ];
}

namespace Private {
  export const KEYWORDS = new Set([
    'if',
    'then',
    'else',
    'elif',
    'fi',
    'for',
    'while',
    'until',
    'do',
    'done',
    'case',
    'esac',
    'in',
    'function',
    'select',
    'time',
    '!'
  ]);
  /** Keywords after which a command comes. */
  export const COMMAND_AFTER = new Set([
    'if',
    'then',
    'else',
    'elif',
    'do',
    'while',
    'until',
    'time',
    '!'
  ]);

  export function lineEnd(text: string, from: number, to: number): number {
    const nl = text.indexOf('\n', from);
    return nl < 0 || nl > to ? to : nl;
  }

  /**
   * Where the shell starts on one line (after the `!` or the magic's name)
   * and where its marker starts; null for a TypeScript line.
   */
  export function lineSpan(
    line: string,
    declared: Set<string>
  ): { marker: number; from: number } | null {
    const magic = /^(\s*)%[A-Za-z_]\w*/.exec(line);
    if (magic) return { marker: magic[1].length, from: magic[0].length };
    const capture =
      /^(\s*(?:export\s+)?(?:const|let|var)\s+[A-Za-z_$][\w$]*\s*(?::[^=]+)?=\s*)!(.+)$/.exec(line);
    const bang = capture ?? /^(\s*)!(.+)$/.exec(line);
    if (!bang) return null;
    const rest = bang[2];
    if (/^[\s!(=]/.test(rest)) return null;
    const word = /^[A-Za-z_$][\w$]*/.exec(rest)?.[0];
    if (word && declared.has(word)) return null;
    return { marker: bang[1].length, from: bang[1].length + 1 };
  }
}
