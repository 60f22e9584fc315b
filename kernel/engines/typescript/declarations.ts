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
 * text declares.
 */
export function newestWins(texts: string[]): string {
  const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed });
  const newer = new Set<string>();
  const kept: string[][] = [];
  for (let i = texts.length - 1; i >= 0; i--) {
    const sf = ts.createSourceFile('__decl__.d.ts', texts[i], ts.ScriptTarget.Latest, true);
    const out: string[] = [];
    const mine = new Set<string>();
    for (const st of sf.statements) {
      if (ts.isExportDeclaration(st)) continue;
      const names = statementNames(st);
      names.forEach((n) => mine.add(n));
      if (names.length === 0 || names.every((n) => !newer.has(n))) {
        out.push(st.getFullText(sf));
        continue;
      }
      if (ts.isVariableStatement(st)) {
        const left = st.declarationList.declarations.filter((d) =>
          bindingNames(d.name).every((n) => !newer.has(n))
        );
        if (left.length > 0) out.push(printDeclarators(printer, sf, st, left));
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
  return kept.flat().join('\n');
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
