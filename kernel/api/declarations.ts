import type * as TS from 'typescript';

/** The file the build writes next to the compiled cell API: what `runtime.declarations` starts from. */
export const DECLARATIONS_FILE = 'cell-globals.d.ts';

/** The interface of `globals.ts` whose members are the globals themselves. */
const GLOBALS = 'CellGlobals';

/**
 * Turns `api/globals.ts` into ambient declarations for the cell checker. Run
 * at build time (scripts/copy-assets.js), never by the kernel, which only
 * reads the text (api/index.ts imports this module for its file name alone,
 * so the compiler is loaded here, on call: at start-up it would cost seconds).
 *
 * Interfaces and type aliases are kept as written, less `export`; each member
 * of `CellGlobals` becomes `declare const name: T;` (a property) or
 * `declare function name(...): R;` (a method). A doc comment goes with what
 * it documents. Anything else (an import, a value) is refused: cells cannot
 * import, so the text must stand on its own.
 */
export async function ambientDeclarations(
  source: string,
  fileName = 'globals.ts'
): Promise<string> {
  const ts = await import('typescript');
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
  const doc = (node: TS.Node): string => {
    const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
    return docs.length ? docs[docs.length - 1].getText(sf) + '\n' : '';
  };
  const exported = (node: TS.Node) =>
    source.slice(node.getStart(sf), node.end).replace(/^export\s+/, '');
  const out: string[] = [];
  let globals = false;
  for (const st of sf.statements) {
    if (ts.isInterfaceDeclaration(st) && st.name.text === GLOBALS) {
      globals = true;
      for (const member of st.members) out.push(doc(member) + declare(ts, member, sf, source));
    } else if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) {
      out.push(doc(st) + exported(st));
    } else {
      throw new Error(
        `${fileName}: only interfaces and types may be declared for cells, not: ${st.getText(sf).split('\n')[0]}`
      );
    }
  }
  if (!globals) throw new Error(`${fileName} has no interface ${GLOBALS}`);
  return out.join('\n') + '\n';
}

function declare(ts: typeof TS, member: TS.TypeElement, sf: TS.SourceFile, source: string): string {
  const name = member.name && ts.isIdentifier(member.name) ? member.name.text : null;
  if (name === null)
    throw new Error(`${GLOBALS}: a global needs a plain name, not ${member.getText(sf)}`);
  if (ts.isPropertySignature(member) && member.type)
    return `declare const ${name}: ${member.type.getText(sf)};`;
  if (ts.isMethodSignature(member)) {
    const signature = source.slice(member.name.end, member.end).trim().replace(/;?$/, ';');
    return `declare function ${name}${signature}`;
  }
  throw new Error(`${GLOBALS}: ${name} is neither a typed property nor a method`);
}
