/**
 * What a cell declares, syntactically: its top-level names, its declaration
 * output less `export` lists or less values that never ran, and older
 * declaration texts folded under newer ones.
 */
import ts = require('@tslab/typescript-for-tslab');

/** The names a cell declares at its top level (not those it exports itself). */
export function topLevelNames(src: string, fileName = '__cell__.ts'): string[] {
  const sf = ts.createSourceFile(
    fileName,
    src,
    ts.ScriptTarget.Latest,
    false,
    scriptKind(fileName)
  );
  const names = new Set<string>();
  for (const st of sf.statements) {
    if (hasExport(st)) continue;
    for (const n of statementNames(st)) names.add(n);
  }
  return [...names];
}

function scriptKind(fileName: string): ts.ScriptKind {
  return fileName.endsWith('.js') ? ts.ScriptKind.JS : ts.ScriptKind.TS;
}

export function hasExport(st: ts.Statement): boolean {
  return (
    ts.canHaveModifiers(st) &&
    (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
  );
}

/** The names one top-level statement declares, values and types alike. */
export function statementNames(st: ts.Statement): string[] {
  if (ts.isVariableStatement(st))
    return st.declarationList.declarations.flatMap((d) => bindingNames(d.name));
  if (
    (ts.isFunctionDeclaration(st) ||
      ts.isClassDeclaration(st) ||
      ts.isEnumDeclaration(st) ||
      ts.isInterfaceDeclaration(st) ||
      ts.isTypeAliasDeclaration(st) ||
      ts.isModuleDeclaration(st)) &&
    st.name &&
    ts.isIdentifier(st.name)
  )
    return [st.name.text];
  if (ts.isImportEqualsDeclaration(st)) return [st.name.text];
  if (ts.isImportDeclaration(st) && st.importClause) {
    const c = st.importClause;
    const out = c.name ? [c.name.text] : [];
    if (c.namedBindings) {
      if (ts.isNamespaceImport(c.namedBindings)) out.push(c.namedBindings.name.text);
      else out.push(...c.namedBindings.elements.map((e) => e.name.text));
    }
    return out;
  }
  return [];
}

function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : bindingNames(e.name)));
}

/** Whether a cell declares anything at its top level (its own exports included). */
export function declares(sf: ts.SourceFile): boolean {
  return sf.statements.some(
    (st) => statementNames(st).length > 0 || hasExport(st) || ts.isExportAssignment(st)
  );
}

/** A cell's declaration output without its `export { … }` lists. */
export function declarationsOnly(text: string): string {
  const sf = ts.createSourceFile('__decl__.d.ts', text, ts.ScriptTarget.Latest, true);
  return sf.statements
    .filter((st) => !ts.isExportDeclaration(st))
    .map((st) => st.getFullText(sf))
    .join('\n');
}

/** `text` less the value declarations of `drop` (types stay). */
export function dropValues(text: string, drop: Set<string>): string {
  const sf = ts.createSourceFile('__decl__.d.ts', text, ts.ScriptTarget.Latest, true);
  const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed });
  const out: string[] = [];
  for (const st of sf.statements) {
    if (ts.isVariableStatement(st)) {
      const kept = st.declarationList.declarations.filter(
        (d) => !bindingNames(d.name).some((n) => drop.has(n))
      );
      if (kept.length === st.declarationList.declarations.length) out.push(st.getFullText(sf));
      else if (kept.length > 0) out.push(printDeclarators(printer, sf, st, kept));
      continue;
    }
    const values =
      ts.isFunctionDeclaration(st) ||
      ts.isClassDeclaration(st) ||
      ts.isEnumDeclaration(st) ||
      ts.isModuleDeclaration(st);
    if (values && statementNames(st).some((n) => drop.has(n))) continue;
    out.push(st.getFullText(sf));
  }
  return out.join('\n');
}

/**
 * Declaration texts, oldest first, folded into one: a statement stays unless
 * a newer text declares one of its names; an import keeps the names no newer
 * text declares. Neighbouring `declare const` (`let`, `var`) statements with
 * no comment before them share one statement, up to `SHARED_MAX` declarators:
 * each statement of its own cost TypeScript three nodes, a token and a list
 * more than a declarator does, about 600 bytes a name in a folded notebook of
 * 10,000 names.
 */
export function newestWins(texts: string[]): string {
  return joined(newestPieces(texts).flat());
}

/** `newestWins`' pieces, before they are joined, for each of `texts`. */
export function newestPieces(texts: string[]): Piece[][] {
  const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed });
  const newer = new Set<string>();
  const kept: Piece[][] = [];
  for (let i = texts.length - 1; i >= 0; i--) {
    const sf = ts.createSourceFile('__decl__.d.ts', texts[i], ts.ScriptTarget.Latest, true);
    const out: Piece[] = [];
    const mine = new Set<string>();
    for (const st of sf.statements) {
      if (ts.isExportDeclaration(st)) continue;
      const names = statementNames(st);
      names.forEach((n) => mine.add(n));
      if (names.length === 0 || names.every((n) => !newer.has(n))) {
        out.push(...(declarators(sf, st) ?? [st.getFullText(sf)]));
        continue;
      }
      if (ts.isVariableStatement(st)) {
        const left = st.declarationList.declarations.filter((d) =>
          bindingNames(d.name).every((n) => !newer.has(n))
        );
        const shared = declarators(sf, st, left);
        if (shared) out.push(...shared);
        else if (left.length > 0) out.push(printDeclarators(printer, sf, st, left));
        continue;
      }
      if (ts.isImportDeclaration(st) && st.importClause) {
        const c = st.importClause;
        const name = c.name && !newer.has(c.name.text) ? c.name : undefined;
        let bindings = c.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings) && newer.has(bindings.name.text))
          bindings = undefined;
        else if (bindings && ts.isNamedImports(bindings)) {
          const left = bindings.elements.filter((e) => !newer.has(e.name.text));
          bindings = left.length > 0 ? ts.factory.updateNamedImports(bindings, left) : undefined;
        }
        if (name || bindings)
          out.push(
            printer.printNode(
              ts.EmitHint.Unspecified,
              ts.factory.updateImportDeclaration(
                st,
                st.modifiers,
                ts.factory.updateImportClause(c, c.isTypeOnly, name, bindings),
                st.moduleSpecifier,
                st.assertClause
              ),
              sf
            )
          );
      }
    }
    mine.forEach((n) => newer.add(n));
    kept.unshift(out);
  }
  return kept;
}

/** Most declarators a statement of neighbouring declarations holds. */
const SHARED_MAX = 128;

/** A declarator of a plain `declare const` (`let`, `var`) statement, which may share a statement with its neighbours. */
export interface Declarator {
  /** `declare const `, `declare let ` or `declare var `. */
  head: string;
  /** The name it declares. */
  name: string;
  text: string;
}

/** A statement's text, or a declarator of one. */
export type Piece = string | Declarator;

/**
 * `kept` of `st`'s declarators, each on its own, where `st` is a plain
 * `declare const` (`let`, `var`) with nothing before it but white space; null
 * where it is not (a comment before it, a documentation comment or a
 * reference directive, stays with it, as do other modifiers).
 */
function declarators(
  sf: ts.SourceFile,
  st: ts.Statement,
  kept?: readonly ts.VariableDeclaration[]
): Declarator[] | null {
  if (!ts.isVariableStatement(st)) return null;
  const modifiers = ts.getModifiers(st) ?? [];
  if (modifiers.length !== 1 || modifiers[0].kind !== ts.SyntaxKind.DeclareKeyword) return null;
  if (sf.text.slice(st.getFullStart(), st.getStart(sf)).trim() !== '') return null;
  const flags = st.declarationList.flags;
  const keyword = flags & ts.NodeFlags.Const ? 'const' : flags & ts.NodeFlags.Let ? 'let' : 'var';
  const head = `declare ${keyword} `;
  const each = kept ?? st.declarationList.declarations;
  if (!each.every((d) => ts.isIdentifier(d.name))) return null;
  return each.map((d) => ({ head, name: (d.name as ts.Identifier).text, text: d.getText(sf) }));
}

/** `pieces` joined, neighbouring declarators of one kind sharing statements. */
export function joined(pieces: Piece[]): string {
  const lines: string[] = [];
  let shared: Declarator[] = [];
  const close = () => {
    if (shared.length === 0) return;
    lines.push(`${shared[0].head}${shared.map((d) => d.text).join(', ')};`);
    shared = [];
  };
  for (const piece of pieces) {
    if (typeof piece === 'string') {
      close();
      lines.push(piece);
      continue;
    }
    if (shared.length === SHARED_MAX || shared[0]?.head !== piece.head) close();
    shared.push(piece);
  }
  close();
  return lines.join('\n');
}

/** `st` cut to the declarators in `kept`, printed. */
function printDeclarators(
  printer: ts.Printer,
  sf: ts.SourceFile,
  st: ts.VariableStatement,
  kept: ts.VariableDeclaration[]
): string {
  return printer.printNode(
    ts.EmitHint.Unspecified,
    ts.factory.updateVariableStatement(
      st,
      st.modifiers,
      ts.factory.updateVariableDeclarationList(st.declarationList, kept)
    ),
    sf
  );
}
