/**
 * The compiler thread: tslab's converter (a TypeScript language service) runs
 * here, so building it (about a second) and converting cells never blocks the
 * main thread. The only importer of tslab in the project.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ts from '@tslab/typescript-for-tslab';
// The module object itself (tslab's own `require` gets this one), not the
// copy that `import * as` makes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import tsModule = require('@tslab/typescript-for-tslab');
import type * as TslabConverter from 'tslab/dist/converter';
import type {
  CompilerAnswer,
  CompilerRequest,
  CompletenessAnswer,
  CompletionAnswer,
  Converted,
  InspectAnswer
} from './protocol';

const port = parentPort!;

/**
 * TypeScript's watch program watches the folders where module and type lookups
 * failed, recursively, from the working folder down; Node 20 does a recursive
 * watch on Linux by walking the tree and watching every folder in it. A kernel
 * started in a folder holding a Python virtualenv or a big node_modules ran its
 * checker out of its 160 MB on `const x = 1`. Cells are converted on request,
 * never on a folder change: no folder is watched.
 */
tsModule.sys.watchDirectory = () => ({ close: () => undefined });

/**
 * tslab's converter gives TypeScript `typeRoots` but not `types`, so every
 * `@types` package under the notebook's folder was checked into every cell: in
 * a folder holding a JavaScript project's node_modules (52 packages here), a
 * distinct cell took 104 ms instead of 37. Only @types/node is global now; any
 * other @types package is used when a cell imports its module. tslab reads
 * TypeScript from Node's module cache, whose exports are getters only, so the
 * cache entry becomes a copy whose watch host adds the option; the converter
 * is required after that.
 */
const tsPath = require.resolve('@tslab/typescript-for-tslab');
const withNodeTypesOnly: typeof tsModule = {
  ...tsModule,
  createWatchCompilerHost: ((roots: string[], options: ts.CompilerOptions, ...rest: unknown[]) =>
    (tsModule.createWatchCompilerHost as (...args: unknown[]) => unknown)(
      roots,
      { ...options, types: ['node'] },
      ...rest
    )) as typeof tsModule.createWatchCompilerHost
};
require.cache[tsPath]!.exports = withNodeTypesOnly;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createConverter } = require('tslab/dist/converter') as typeof TslabConverter;

const converter = createConverter({ isJS: (workerData as { isJS: boolean }).isJS });
port.postMessage({ id: -1, ok: true, value: 'ready' } satisfies CompilerAnswer);

port.on('message', (req: CompilerRequest) => {
  let answer: CompilerAnswer;
  try {
    answer = { id: req.id, ok: true, value: serve(req) };
  } catch (error) {
    answer = {
      id: req.id,
      ok: false,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error)
    };
  }
  port.postMessage(answer);
});

function serve(
  req: CompilerRequest
): Converted | CompletionAnswer | InspectAnswer | CompletenessAnswer | string {
  switch (req.op) {
    case 'convert': {
      const r = converter.convert(req.prevDecl, expandShorthand(req.src));
      const out: Converted = {
        output: r.output,
        declOutput: r.declOutput,
        lastExpressionVar: r.lastExpressionVar,
        hasToplevelAwait: r.hasToplevelAwait,
        diagnostics: r.diagnostics.map((d) => ({
          line: d.start.line,
          character: d.start.character,
          message: d.messageText,
          fileName: d.fileName
        }))
      };
      return out;
    }
    case 'complete': {
      const c = converter.complete(req.prevDecl, req.src, req.position);
      return { start: c.start, end: c.end, candidates: c.candidates };
    }
    case 'inspect':
      return inspect(req.prevDecl, req.src, req.position);
    case 'isComplete':
      return isComplete(req.src);
    case 'keepRun':
      return keepRun(req.prevDecl, req.declOutput, req.notRun);
  }
}

/**
 * Declarations after a cell failed part way: `declOutput` (all the cell
 * declared, with what earlier cells declared) less the values named in
 * `notRun`, whose declarations from before the cell come back. Types
 * (interfaces, type aliases) have no run time and are kept.
 */
export function keepRun(prevDecl: string, declOutput: string, notRun: string[]): string {
  const drop = new Set(notRun);
  const parse = (text: string) =>
    ts.createSourceFile('__decl__.d.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const printer = ts.createPrinter();
  /** The statements of `text`, each cut to the value names that `want` accepts. */
  const pick = (text: string, want: (name: string) => boolean): string[] => {
    const sf = parse(text);
    const out: string[] = [];
    for (const st of sf.statements) {
      if (ts.isVariableStatement(st)) {
        const kept = st.declarationList.declarations.filter((d) => bindingNames(d.name).some(want));
        if (kept.length === st.declarationList.declarations.length) out.push(st.getText(sf));
        else if (kept.length > 0)
          out.push(
            printer.printNode(
              ts.EmitHint.Unspecified,
              ts.factory.updateVariableStatement(
                st,
                st.modifiers,
                ts.factory.updateVariableDeclarationList(st.declarationList, kept)
              ),
              sf
            )
          );
        continue;
      }
      const name = valueName(st);
      if (name === null ? want('') : want(name)) out.push(st.getText(sf));
    }
    return out;
  };
  const kept = pick(declOutput, (n) => !drop.has(n));
  const restored = pick(prevDecl, (n) => n !== '' && drop.has(n));
  return [...kept, ...restored].join('\n') + '\n';
}

/** The value a declaration statement declares; null for types, imports and the rest. */
function valueName(st: ts.Statement): string | null {
  if (
    (ts.isFunctionDeclaration(st) ||
      ts.isClassDeclaration(st) ||
      ts.isEnumDeclaration(st) ||
      ts.isModuleDeclaration(st)) &&
    st.name &&
    ts.isIdentifier(st.name)
  )
    return st.name.text;
  return null;
}

function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : bindingNames(e.name)));
}

/**
 * `{ epochs }` written as `{ epochs: epochs }`. tslab rewrites a name from an
 * earlier cell to `exports.epochs`, but not inside a shorthand property, which
 * then throws ReferenceError. The long form means the same everywhere a
 * shorthand can stand, destructuring assignments included.
 */
export function expandShorthand(src: string): string {
  if (!/[{,]\s*[A-Za-z_$][\w$]*\s*[,}=]/.test(src)) return src;
  const sf = ts.createSourceFile(
    '__cell__.ts',
    src,
    ts.ScriptTarget.Latest,
    true,
    ts.ScriptKind.TS
  );
  const names: Array<{ end: number; text: string }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isShorthandPropertyAssignment(node))
      names.push({ end: node.name.getEnd(), text: node.name.text });
    ts.forEachChild(node, visit);
  };
  visit(sf);
  let out = src;
  for (const { end, text } of names.sort((a, b) => b.end - a.end)) {
    out = `${out.slice(0, end)}: ${text}${out.slice(end)}`;
  }
  return out;
}

function inspect(prevDecl: string, src: string, position: number): InspectAnswer {
  // The language service reports the symbol that ends at the cursor too.
  const info =
    converter.inspect(prevDecl, src, position) ??
    (position > 0 ? converter.inspect(prevDecl, src, position - 1) : undefined);
  if (!info) {
    return { found: false, signature: '', documentation: '' };
  }
  return {
    found: true,
    signature: ts.displayPartsToString(info.displayParts),
    documentation: [
      ts.displayPartsToString(info.documentation),
      ...(info.tags ?? []).map((t) => `@${t.name} ${ts.displayPartsToString(t.text)}`)
    ]
      .filter((s) => s.length > 0)
      .join('\n')
  };
}

/**
 * Complete, incomplete or invalid, from the parser's own diagnostics: code
 * whose only syntax errors sit at its very end ("'}' expected") is
 * incomplete; an error anywhere before the end makes it invalid.
 */
function isComplete(src: string): CompletenessAnswer {
  const sf = ts.createSourceFile(
    '__cell__.ts',
    src,
    ts.ScriptTarget.Latest,
    false,
    ts.ScriptKind.TS
  );
  const diagnostics = (sf as unknown as { parseDiagnostics: ts.DiagnosticWithLocation[] })
    .parseDiagnostics;
  if (diagnostics.length === 0) {
    return { status: 'complete' };
  }
  const end = src.trimEnd().length;
  const atEnd = diagnostics.every((d) => d.start >= end || isUnterminatedTemplate(d));
  if (!atEnd) {
    return { status: 'invalid' };
  }
  const lastLine = src.slice(src.lastIndexOf('\n') + 1);
  const indent = /^\s*/.exec(lastLine)?.[0] ?? '';
  return { status: 'incomplete', indent: /[{([]\s*$/.test(src) ? indent + '  ' : indent };
}

function isUnterminatedTemplate(d: ts.DiagnosticWithLocation): boolean {
  return d.code === 1160;
}
