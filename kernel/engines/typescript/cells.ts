/**
 * What is done to a cell's source and output: shorthand properties spelled
 * out, its last expression kept as its value, earlier cells' names read from
 * `exports`, top-level `await` told apart, and whether the code is complete.
 */
import ts = require('@tslab/typescript-for-tslab');
import type { CompletenessAnswer } from './protocol';

/** Where the last expression's value goes on `exports`. */
const LAST_EXPRESSION = 'tsLastExpr';

/** `await` at the cell's top level, outside any function or class. */
export function isTopLevelAwait(sf: ts.SourceFile, start: number): boolean {
  let node: ts.Node | undefined = findNode(sf, start);
  while (node && node !== sf) {
    if (ts.isFunctionLike(node) || ts.isClassLike(node) || ts.isModuleDeclaration(node))
      return false;
    node = node.parent;
  }
  return true;
}

function findNode(sf: ts.SourceFile, position: number): ts.Node {
  let found: ts.Node = sf;
  const visit = (node: ts.Node): void => {
    if (node.getStart(sf) <= position && position < node.getEnd()) {
      found = node;
      ts.forEachChild(node, visit);
    }
  };
  ts.forEachChild(sf, visit);
  return found;
}

/**
 * Whether a cell holds code that may run after it: a function or class of
 * any kind (an arrow, a method, an accessor; a function type too, which
 * costs only a kept map), or a name `eval` or `Function`, which make code
 * from text. A stack frame can be in a cell's script later only then.
 */
export function definesFunctions(sf: ts.SourceFile): boolean {
  const visit = (node: ts.Node): boolean =>
    ts.isFunctionLike(node) ||
    ts.isClassLike(node) ||
    (ts.isIdentifier(node) && (node.text === 'eval' || node.text === 'Function')) ||
    ts.forEachChild(node, visit) === true;
  return visit(sf);
}

/**
 * The cell's last statement, when an expression, becomes an assignment to
 * `exports.tsLastExpr` (numbered when the cell uses that name), which the
 * engine reads as the cell's value.
 */
export function lastExpression(
  sf: ts.SourceFile,
  setName: (name: string) => void,
  names: string[]
): ts.TransformerFactory<ts.SourceFile> {
  return (context) => (node) => {
    if (node !== sf && ts.getOriginalNode(node) !== sf) return node;
    // The last statement is the `export { … }` the converter appended.
    const statements = [...node.statements];
    const index = statements.length - 2;
    const last = statements[index];
    if (!last || !ts.isExpressionStatement(last)) return node;
    let name = LAST_EXPRESSION;
    for (let i = 0; names.includes(name); i++) name = `${LAST_EXPRESSION}${i}`;
    setName(name);
    const f = context.factory;
    statements[index] = f.createExpressionStatement(
      f.createAssignment(
        f.createPropertyAccessExpression(f.createIdentifier('exports'), name),
        last.expression
      )
    );
    return f.updateSourceFile(node, statements);
  };
}

/**
 * A name declared by an earlier cell is read from `exports`, where that cell
 * left it. So is a value the cell itself declares at its top level (a
 * variable, function, class or enum), everywhere but where it is declared:
 * a function of this cell then sees what a later cell assigns to the name,
 * or the newer function a later cell defines under it, as in a REPL, rather
 * than its own copy from when it was defined.
 */
export function earlierNamesOnExports(
  checker: ts.TypeChecker,
  declared: Set<ts.SourceFile | undefined>,
  own?: ts.SourceFile
): ts.TransformerFactory<ts.SourceFile> {
  return (context) => (root) => {
    const visit = (node: ts.Node): ts.Node => {
      if (!ts.isIdentifier(node)) return ts.visitEachChild(node, visit, context);
      const original = ts.getOriginalNode(node);
      const parent = original.parent as ts.Node | undefined;
      if (parent && ts.isPropertyAccessExpression(parent) && parent.name === original) return node;
      const symbol = checker.getSymbolAtLocation(original);
      const declarations = symbol?.declarations ?? [];
      // Names of a `declare global` block live on globalThis, not on exports.
      const earlier =
        declarations.some((d) => declared.has(d.getSourceFile())) &&
        !declarations.some(Private.inGlobalBlock);
      const mine =
        own !== undefined &&
        !Private.declares(original) &&
        declarations.length > 0 &&
        declarations.every((d) => Private.topLevelValue(d, own));
      if (!earlier && !mine) return node;
      return context.factory.createPropertyAccessExpression(
        context.factory.createIdentifier('exports'),
        node.text
      );
    };
    return ts.visitEachChild(root, visit, context);
  };
}

/** A cell's text with text inserted into it, and the way back to the cell's own positions. */
export interface Expanded {
  /** The cell as written. */
  original: string;
  text: string;
  /** Where text went in, at positions of the text before this step (`from`'s, else `original`), ascending. */
  inserts: Array<{ at: number; length: number }>;
  /** The step before this one. */
  from?: Expanded;
}

/** A cell as written, before any step. */
export function asWritten(src: string): Expanded {
  return { original: src, text: src, inserts: [] };
}

/**
 * `{ epochs }` written as `{ epochs: epochs }`: a name from an earlier cell is
 * read from `exports`, which a shorthand property cannot say. The long form
 * means the same everywhere a shorthand can stand, destructuring included.
 */
export function expandShorthand(before: Expanded): Expanded {
  const src = before.text;
  if (!/[{,]\s*[A-Za-z_$][\w$]*\s*[,}=]/.test(src)) return before;
  const sf = ts.createSourceFile('__cell__.ts', src, ts.ScriptTarget.Latest, true);
  const names: Array<{ end: number; text: string }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isShorthandPropertyAssignment(node))
      names.push({ end: node.name.getEnd(), text: node.name.text });
    ts.forEachChild(node, visit);
  };
  visit(sf);
  let out = src;
  for (const { end, text } of [...names].sort((a, b) => b.end - a.end)) {
    out = `${out.slice(0, end)}: ${text}${out.slice(end)}`;
  }
  const inserts = names
    .map(({ end, text }) => ({ at: end, length: text.length + 2 }))
    .sort((a, b) => a.at - b.at);
  return { original: before.original, text: out, inserts, from: before };
}

/**
 * A cell that is one object literal in braces, `{ a: 1 }`, read as that
 * object, as Node's REPL reads it, rather than as a block with a label that
 * shows nothing; any cell that is not one stays as it is.
 */
export function asObjectLiteral(expanded: Expanded): Expanded {
  const { text } = expanded;
  if (!/^\s*\{/.test(text) || !/\}\s*$/.test(text)) return expanded;
  const wrapped = `(${text})`;
  const sf = ts.createSourceFile('__cell__.ts', wrapped, ts.ScriptTarget.Latest, false);
  const errors = (sf as unknown as { parseDiagnostics: ts.DiagnosticWithLocation[] })
    .parseDiagnostics;
  if (errors.length > 0 || sf.statements.length !== 1) return expanded;
  const statement = sf.statements[0];
  if (!ts.isExpressionStatement(statement)) return expanded;
  const inner = ts.skipPartiallyEmittedExpressions(statement.expression);
  if (!ts.isParenthesizedExpression(inner) || !ts.isObjectLiteralExpression(inner.expression))
    return expanded;
  return {
    original: expanded.original,
    text: wrapped,
    inserts: [
      { at: 0, length: 1 },
      { at: text.length, length: 1 }
    ],
    from: expanded
  };
}

/** The position in the cell as written of `offset` in its expanded text (an inserted part: where it went in). */
export function originalOffset(expanded: Expanded, offset: number): number {
  let shift = 0;
  let before = offset;
  for (const { at, length } of expanded.inserts) {
    if (offset < at + shift) break;
    if (offset < at + shift + length) {
      before = at;
      shift = -1;
      break;
    }
    shift += length;
  }
  if (shift >= 0) before = offset - shift;
  return expanded.from ? originalOffset(expanded.from, before) : before;
}

/**
 * Complete, incomplete or invalid, from the parser's own diagnostics: code
 * whose only syntax errors sit at its very end ("'}' expected") is
 * incomplete; an error anywhere before the end makes it invalid.
 */
export function isComplete(src: string): CompletenessAnswer {
  const sf = ts.createSourceFile('__cell__.ts', src, ts.ScriptTarget.Latest, false);
  const diagnostics = (sf as unknown as { parseDiagnostics: ts.DiagnosticWithLocation[] })
    .parseDiagnostics;
  if (diagnostics.length === 0) return { status: 'complete' };
  const end = src.trimEnd().length;
  // 1160: an unterminated template literal, reported where it starts.
  const atEnd = diagnostics.every((d) => d.start >= end || d.code === 1160);
  if (!atEnd) return { status: 'invalid' };
  const lastLine = src.slice(src.lastIndexOf('\n') + 1);
  const indent = /^\s*/.exec(lastLine)?.[0] ?? '';
  return { status: 'incomplete', indent: /[{([]\s*$/.test(src) ? indent + '  ' : indent };
}

namespace Private {
  /** A declaration inside `declare global { ... }`. */
  export function inGlobalBlock(d: ts.Node): boolean {
    for (let n: ts.Node | undefined = d.parent; n; n = n.parent)
      if (ts.isModuleDeclaration(n) && (n.flags & ts.NodeFlags.GlobalAugmentation) !== 0)
        return true;
    return false;
  }

  /** A value declared by a statement of `sf` itself (not in a block, a loop or a function). */
  export function topLevelValue(d: ts.Declaration, sf: ts.SourceFile): boolean {
    if (d.getSourceFile() !== sf) return false;
    if (ts.isFunctionDeclaration(d) || ts.isClassDeclaration(d) || ts.isEnumDeclaration(d))
      return d.parent === sf && !Private.ambient(d);
    let node: ts.Node = d;
    while (
      ts.isBindingElement(node) ||
      ts.isObjectBindingPattern(node) ||
      ts.isArrayBindingPattern(node)
    )
      node = node.parent;
    if (!ts.isVariableDeclaration(node)) return false;
    const list = node.parent;
    const statement = list?.parent;
    return (
      ts.isVariableDeclarationList(list) &&
      statement !== undefined &&
      ts.isVariableStatement(statement) &&
      statement.parent === sf &&
      !Private.ambient(statement)
    );
  }

  /** `declare const x`, `declare function f()`: nothing of it runs, so nothing is in `exports`. */
  export function ambient(node: ts.Node): boolean {
    return (ts.getCombinedModifierFlags(node as ts.Declaration) & ts.ModifierFlags.Ambient) !== 0;
  }

  /** Whether `name` is the name a declaration declares (there it stays a local). */
  export function declares(name: ts.Node): boolean {
    const parent = name.parent as ts.Node | undefined;
    if (!parent) return true; // made by the emit, not written
    return (
      (ts.isVariableDeclaration(parent) ||
        ts.isBindingElement(parent) ||
        ts.isFunctionDeclaration(parent) ||
        ts.isClassDeclaration(parent) ||
        ts.isEnumDeclaration(parent)) &&
      (parent as ts.NamedDeclaration).name === name
    );
  }
}
