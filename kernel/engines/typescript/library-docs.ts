/**
 * The documentation comments of the libraries cells are checked against
 * (TypeScript's `lib.*.d.ts`, @types/node, a package's declaration files):
 * left out of the parsed files, read back from disk when inspect asks about a
 * name they document.
 *
 * TypeScript parses every `/** … *\/` comment before a declaration into
 * nodes and keeps them as long as the file: 6 MB of the compiler's heap for
 * `lib.es2022` and @types/node (65 rather than 71 MB), though only inspect
 * reads them (a declaration file's comments type nothing; JavaScript's do,
 * and JavaScript is never stripped). `withoutDocs` turns each such comment
 * into a plain one (its second `*` a space: same length, so every position
 * in the file holds). `documentFor` parses the comments of the files a
 * symbol is declared in from the file on disk, and attaches them as
 * TypeScript's parser would have, before the language service is asked.
 */
import * as ts from '@tslab/typescript-for-tslab';

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

/** TypeScript's NodeFlags.Deprecated, which its parser sets for a `@deprecated` tag. */
const DEPRECATED = 268435456;

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
        if (text.startsWith('/**', start) && !text.startsWith('/**/', start)) {
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
  return /[^\x00-\xff]/.test(out)
    ? Buffer.from(out, 'utf16le').toString('utf16le')
    : Buffer.from(out, 'latin1').toString('latin1');
}

/**
 * Gives the files that declare what `position` in `sf` names (and what it
 * inherits from) their documentation comments again, read from disk, so that
 * the language service's quick info at `position` shows them.
 */
export function documentFor(program: ts.Program, sf: ts.SourceFile, position: number): void {
  const checker = program.getTypeChecker();
  const node = internal.getTouchingPropertyName(sf, position);
  if (node === sf) return;
  const symbols = new Set<ts.Symbol>();
  const add = (s: ts.Symbol | undefined) => {
    if (!s || symbols.has(s)) return;
    symbols.add(s);
    if (s.flags & ts.SymbolFlags.Alias) add(checker.getAliasedSymbol(s));
  };
  for (const at of [node, node.parent]) {
    add(checker.getSymbolAtLocation(at));
    add(checker.getTypeAtLocation(at).symbol);
  }
  const call = ts.findAncestor(node, (n) => ts.isCallOrNewExpression(n) || ts.isStatement(n));
  const signature =
    call && ts.isCallOrNewExpression(call)
      ? checker.getResolvedSignature(call)?.declaration
      : undefined;
  // Contextually typed object literal properties, and a member's docs from its bases.
  const contextual =
    ts.isObjectLiteralElementLike(node.parent) && ts.isObjectLiteralExpression(node.parent.parent)
      ? checker.getContextualType(node.parent.parent)
      : undefined;
  if (contextual && ts.isIdentifier(node))
    for (const t of contextual.isUnion() ? contextual.types : [contextual])
      add(t.getProperty(node.text));
  const files = new Set<ts.SourceFile>();
  const seen = new Set<ts.Node>();
  const declaredIn = (d: ts.Declaration) => {
    if (seen.has(d)) return;
    seen.add(d);
    files.add(d.getSourceFile());
    const owner = ts.isClassLike(d) || ts.isInterfaceDeclaration(d) ? d : d.parent;
    if (owner && (ts.isClassLike(owner) || ts.isInterfaceDeclaration(owner)))
      for (const clause of owner.heritageClauses ?? [])
        for (const base of clause.types)
          for (const b of checker.getTypeAtLocation(base).symbol?.declarations ?? []) declaredIn(b);
  };
  for (const s of symbols) for (const d of s.declarations ?? []) declaredIn(d);
  if (signature && !ts.isJSDocSignature(signature)) declaredIn(signature);
  for (const file of files) attach(file);
}

/** A stripped file's documentation comments, parsed from the file on disk and attached. */
function attach(file: ts.SourceFile): void {
  if (documented.has(file) || !stripped.has(file.fileName)) return;
  documented.add(file);
  const original = ts.sys.readFile(file.fileName);
  // Changed on disk since: its comments would land in the wrong places.
  if (original === undefined || original.length !== file.text.length) return;
  const visit = (node: ts.Node): void => {
    if (internal.canHaveJSDoc(node)) {
      const docs: ts.JSDoc[] = [];
      for (const range of internal.getJSDocCommentRanges(node, original) ?? []) {
        const parsed = internal.parseIsolatedJSDocComment(
          original,
          range.pos,
          range.end - range.pos
        );
        if (parsed) docs.push(internal.setParent(parsed.jsDoc, node));
      }
      if (docs.length > 0) {
        // A fresh array: one the checker left empty carries its cache of tags.
        (node as { jsDoc?: ts.JSDoc[] }).jsDoc = docs;
        if (docs.some((d) => d.tags?.some((t) => t.tagName.text === 'deprecated')))
          (node as { flags: number }).flags |= DEPRECATED;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}
