/**
 * The documentation comments of the libraries cells are checked against
 * (TypeScript's `lib.*.d.ts`, @types/node, a package's declaration files):
 * left out of the parsed files, read back from disk when inspect asks about a
 * name they document.
 *
 * TypeScript parses every `/** … *\/` comment before a declaration into
 * nodes and keeps them as long as the file: about 5 MB of the compiler's
 * heap for `lib.es2022` and @types/node, though only inspect reads them (a
 * declaration file's comments type nothing; JavaScript's do, and JavaScript
 * is never stripped). `withoutDocs` turns each such comment into a plain one
 * (its second `*` a space: same length, so every position in the file
 * holds), but for those with a `@deprecated` tag, which the checker and
 * completion read. `documentFor` parses the comments of the files a
 * symbol is declared in from the file on disk, and attaches them as
 * TypeScript's parser would have, before the language service is asked.
 */
import ts = require('@tslab/typescript-for-tslab');

/** The TypeScript internals used here (exported by its bundle, absent from its typings). */
interface Internals {
  getJSDocCommentRanges(node: ts.Node, text: string): ts.CommentRange[] | undefined;
  parseIsolatedJSDocComment(
    content: string,
    start: number,
    length: number
  ): { jsDoc: ts.JSDoc } | undefined;
  canHaveJSDoc(node: ts.Node): boolean;
  getTouchingPropertyName(sf: ts.SourceFile, position: number): ts.Node;
  setParent<T extends ts.Node>(child: T, parent: ts.Node): T;
}
const internal = ts as unknown as Internals;

const DECLARATION_FILE = /\.d\.[cm]?ts$/;

/** Files whose comments `withoutDocs` turned, by path. */
const stripped = new Set<string>();
/** Files whose comments are attached again. */
const documented = new WeakSet<ts.SourceFile>();

/**
 * A library file's text for parsing: a declaration file's documentation
 * comments turned into plain comments of the same length (any character in
 * them above U+00FF a `?`, so that a file whose only such characters were
 * typographic quotes in its comments is held one byte a character).
 * Anything else comes back as it is.
 */
export function withoutDocs(path: string, text: string): string {
  if (!DECLARATION_FILE.test(path)) return text;
  const scanner = ts.createScanner(
    ts.ScriptTarget.Latest,
    /*skipTrivia*/ false,
    ts.LanguageVariant.Standard,
    text
  );
  // `}` closes a template literal type's `${`, or a brace: the scanner must be told.
  const braces: boolean[] = [];
  let out = '';
  let from = 0;
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    switch (kind) {
      case ts.SyntaxKind.OpenBraceToken:
        braces.push(false);
        break;
      case ts.SyntaxKind.TemplateHead:
        braces.push(true);
        break;
      case ts.SyntaxKind.CloseBraceToken:
        if (braces.pop()) {
          if (scanner.reScanTemplateToken(false) === ts.SyntaxKind.TemplateMiddle)
            braces.push(true);
        }
        break;
      case ts.SyntaxKind.MultiLineCommentTrivia: {
        const start = scanner.getTokenPos();
        const end = scanner.getTextPos();
        // `@deprecated` stays: the checker and completion read it from the parsed file.
        if (
          text.startsWith('/**', start) &&
          !text.startsWith('/**/', start) &&
          !text.slice(start, end).includes('@deprecated')
        ) {
          out +=
            text.slice(from, start) +
            '/* ' +
            text.slice(start + 3, end).replace(/[^\x00-\xff]/g, '?');
          from = end;
        }
        break;
      }
    }
  }
  if (from === 0) return text;
  out += text.slice(from);
  stripped.add(path);
  // A fresh flat string: pieces of the file's own would keep the whole of it.
  return flat(out);
}

/**
 * Gives the files that declare what `position` in `sf` names (and what it
 * inherits from) their documentation comments again, read from disk, so that
 * the language service's quick info at `position` shows them. Best effort:
 * a node this cannot place leaves quick info as it was (without the docs).
 */
export function documentFor(program: ts.Program, sf: ts.SourceFile, position: number): void {
  try {
    for (const file of declaringFiles(program.getTypeChecker(), sf, position)) attach(file);
  } catch {
    // The checker refused a node here (an import clause, say): quick info goes on without.
  }
}

/** The files declaring what the cell names at `position`, and the bases they inherit from. */
function declaringFiles(
  checker: ts.TypeChecker,
  sf: ts.SourceFile,
  position: number
): Set<ts.SourceFile> {
  const files = new Set<ts.SourceFile>();
  const node = internal.getTouchingPropertyName(sf, position);
  if (node === sf) return files;
  const symbols = new Set<ts.Symbol>();
  const add = (s: ts.Symbol | undefined) => {
    if (!s || symbols.has(s)) return;
    symbols.add(s);
    if (s.flags & ts.SymbolFlags.Alias) add(checker.getAliasedSymbol(s));
  };
  const property = (type: ts.Type | undefined, name: string) => {
    for (const t of type?.isUnion() ? type.types : type ? [type] : []) add(t.getProperty(name));
  };
  add(checker.getSymbolAtLocation(node));
  add(checker.getSymbolAtLocation(node.parent));
  if (ts.isIdentifier(node)) {
    add(checker.getTypeAtLocation(node).symbol);
    const parent = node.parent;
    // `{ recursive: true }` given where a library's type is expected.
    if (ts.isObjectLiteralElementLike(parent) && ts.isObjectLiteralExpression(parent.parent))
      property(checker.getContextualType(parent.parent), node.text);
    // `const { length } = text`: the property of the destructured value's type.
    if (ts.isBindingElement(parent) && ts.isObjectBindingPattern(parent.parent)) {
      const name = parent.propertyName ?? parent.name;
      if (ts.isIdentifier(name) || ts.isStringLiteral(name))
        property(checker.getTypeAtLocation(parent.parent), name.text);
    }
  }
  const call = ts.findAncestor(node, (n) => ts.isCallOrNewExpression(n) || ts.isStatement(n));
  const signature =
    call && ts.isCallOrNewExpression(call)
      ? checker.getResolvedSignature(call)?.declaration
      : undefined;
  const seen = new Set<ts.Node>();
  const declaredIn = (d: ts.Declaration) => {
    if (seen.has(d)) return;
    seen.add(d);
    files.add(d.getSourceFile());
    // A member without documentation of its own shows its base's.
    const owner = ts.isClassLike(d) || ts.isInterfaceDeclaration(d) ? d : d.parent;
    if (owner && (ts.isClassLike(owner) || ts.isInterfaceDeclaration(owner)))
      for (const clause of owner.heritageClauses ?? [])
        for (const base of clause.types)
          for (const b of checker.getTypeAtLocation(base).symbol?.declarations ?? []) declaredIn(b);
  };
  for (const s of symbols) for (const d of s.declarations ?? []) declaredIn(d);
  if (signature && !ts.isJSDocSignature(signature)) declaredIn(signature);
  return files;
}

/**
 * A stripped file's documentation comments, parsed from the file on disk and
 * attached, each to the outermost node it comes before (where TypeScript's
 * parser puts it; the name inside a declaration starts at the same place).
 * The documentation its symbols' quick info cached without them goes.
 */
function attach(file: ts.SourceFile): void {
  if (documented.has(file) || !stripped.has(file.fileName)) return;
  documented.add(file);
  const original = ts.sys.readFile(file.fileName);
  // Changed on disk since: its comments would land in the wrong places.
  if (original === undefined || original.length !== file.text.length) return;
  const claimed = new Set<number>();
  const visit = (node: ts.Node): void => {
    const symbol = (node as { symbol?: SymbolCaches }).symbol;
    if (symbol) forgetDocumentation(symbol);
    const held = node as { jsDoc?: ts.JSDoc[]; jsDocCache?: unknown };
    // A comment kept whole (`@deprecated`) was parsed with the file, here.
    const kept = held.jsDoc ?? [];
    for (const doc of kept) claimed.add(doc.pos);
    if (internal.canHaveJSDoc(node)) {
      const docs: ts.JSDoc[] = [];
      for (const range of internal.getJSDocCommentRanges(node, original) ?? []) {
        if (claimed.has(range.pos)) continue;
        claimed.add(range.pos);
        const parsed = internal.parseIsolatedJSDocComment(
          original,
          range.pos,
          range.end - range.pos
        );
        if (parsed) docs.push(internal.setParent(ownStrings(parsed.jsDoc), node));
      }
      // A fresh array (one the checker left empty carries its cache of
      // tags), in the file's order: TypeScript reads the last comment.
      if (docs.length > 0) {
        held.jsDoc = [...kept, ...docs].sort((a, b) => a.pos - b.pos);
        held.jsDocCache = undefined;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}

/** What TypeScript's services cache on a symbol from its declarations' comments. */
interface SymbolCaches {
  documentationComment?: unknown;
  tags?: unknown;
  contextualGetAccessorDocumentationComment?: unknown;
  contextualSetAccessorDocumentationComment?: unknown;
}

function forgetDocumentation(symbol: SymbolCaches): void {
  symbol.documentationComment = undefined;
  symbol.tags = undefined;
  symbol.contextualGetAccessorDocumentationComment = undefined;
  symbol.contextualSetAccessorDocumentationComment = undefined;
}

/**
 * `jsDoc` with its strings copied out of the file's text: a piece of a
 * string keeps the whole of it (the file, read again, held twice).
 */
function ownStrings<T extends object>(jsDoc: T): T {
  const seen = new Set<object>();
  const visit = (value: object): void => {
    if (seen.has(value)) return;
    seen.add(value);
    for (const key of Object.keys(value)) {
      if (key === 'parent') continue;
      const v = (value as Record<string, unknown>)[key];
      if (typeof v === 'string' && v.length >= 13)
        (value as Record<string, unknown>)[key] = flat(v);
      else if (typeof v === 'object' && v !== null) visit(v);
    }
  };
  visit(jsDoc);
  return jsDoc;
}

/** A flat copy of `text`, one byte a character where it can be. */
function flat(text: string): string {
  return /[^\x00-\xff]/.test(text)
    ? Buffer.from(text, 'utf16le').toString('utf16le')
    : Buffer.from(text, 'latin1').toString('latin1');
}
