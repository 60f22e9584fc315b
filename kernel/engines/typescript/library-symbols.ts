/**
 * The symbols of the libraries cells are checked against (TypeScript's
 * `lib.*.d.ts`, @types/node, a package's declaration files), made lighter
 * once bound.
 *
 * TypeScript's binder gives every variable and parameter a table for the
 * properties a JavaScript file may assign to it (`fn.cache = …` in a .js
 * file): 15,000 empty `Map`s for `lib.es2022` and @types/node, 2.6 MB of the
 * compiler's heap, which no declaration file can ever fill (it assigns
 * nothing, and the binder, which alone fills them, binds each file once).
 * The checker reads such a table only through a guard (`symbol.exports &&
 * …`, `symbol.exports || emptySymbols`), as it reads the symbols it makes of
 * its own, which have none; merging a declaration into one makes it a table
 * then. A class, an enum or a namespace keeps its table, empty or not:
 * the checker reads theirs unguarded.
 */
import ts = require('@tslab/typescript-for-tslab');

/** Declaration files already seen: each is bound once and for good. */
const seen = new WeakSet<ts.SourceFile>();

/** The tables a class, an enum or a namespace keeps. */
const KEEPS_TABLE = ts.SymbolFlags.Class | ts.SymbolFlags.Enum | ts.SymbolFlags.Module;

/**
 * Drops the empty export tables of the variables and parameters declared in
 * `program`'s declaration files, each file once, after its checker bound
 * them; how many went.
 */
export function dropEmptyExportTables(program: ts.Program): number {
  let dropped = 0;
  for (const file of program.getSourceFiles()) {
    if (!file.isDeclarationFile || seen.has(file)) continue;
    // Bound when its program's checker was made; a file not bound yet waits for the next call.
    if (!(file as { locals?: ts.SymbolTable }).locals) continue;
    seen.add(file);
    forEachDeclared(file, (symbol) => {
      if (symbol.exports?.size !== 0 || !(symbol.flags & ts.SymbolFlags.Variable)) return;
      if (symbol.flags & KEEPS_TABLE) return;
      symbol.exports = undefined;
      dropped++;
    });
  }
  return dropped;
}

/** The symbols of `program`'s declaration files with an empty export table, but classes, enums and namespaces (for tests). */
export function emptyExportTables(program: ts.Program): number {
  const found = new Set<ts.Symbol>();
  for (const file of program.getSourceFiles()) {
    if (!file.isDeclarationFile) continue;
    forEachDeclared(file, (symbol) => {
      if (symbol.exports?.size === 0 && !(symbol.flags & KEEPS_TABLE)) found.add(symbol);
    });
  }
  return found.size;
}

/** Calls `f` with the symbol of each declaration in `file` (a symbol once for each of its declarations). */
function forEachDeclared(file: ts.SourceFile, f: (symbol: ts.Symbol) => void): void {
  const visit = (node: ts.Node): void => {
    const symbol = (node as { symbol?: ts.Symbol }).symbol;
    if (symbol) f(symbol);
    ts.forEachChild(node, visit);
  };
  visit(file);
}
