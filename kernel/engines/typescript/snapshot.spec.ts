import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from '@tslab/typescript-for-tslab';
import { oneByte } from './snapshot';

const WIDE = /[^\x00-\xff]/;

test('a source with characters above U+00FF becomes one byte a character and means the same', () => {
  const source = 'const s = "it’s"; // don’t\nconst re = /→/;\nconst ünïcode = "é";\n';
  const escaped = oneByte(source);
  expect(WIDE.test(escaped)).toBe(false);
  // Latin-1 characters are kept as they are; only the three wider ones became escapes.
  expect(escaped.length).toBe(source.length + 3 * 5);
  const run = new Function(`${escaped}\nreturn [s, re.test("→"), ünïcode];`);
  expect(run()).toEqual(['it’s', true, 'é']);
});

test("TypeScript's own source has no character above U+00FF where an escape would change it", () => {
  const file = require.resolve('@tslab/typescript-for-tslab');
  const text = readFileSync(file, 'utf8');
  const wide = [...text.matchAll(new RegExp(WIDE, 'g'))].map((m) => m.index);
  // The five typographic characters in comments the snapshot once held as 16 MB.
  expect(wide.length).toBeGreaterThan(0);
  // No backslash before one: `\’` would become `\\u2019`.
  expect(wide.filter((i) => text[i - 1] === '\\')).toEqual([]);
  // None in a template: a tag reads its raw text, where an escape stays six characters.
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const templates: [number, number][] = [];
  const visit = (node: ts.Node): void => {
    if (
      node.kind === ts.SyntaxKind.NoSubstitutionTemplateLiteral ||
      node.kind === ts.SyntaxKind.TemplateHead ||
      node.kind === ts.SyntaxKind.TemplateMiddle ||
      node.kind === ts.SyntaxKind.TemplateTail
    )
      templates.push([node.getStart(source), node.end]);
    ts.forEachChild(node, visit);
  };
  visit(source);
  expect(templates.length).toBeGreaterThan(0);
  const inTemplate = wide.filter((i) => templates.some(([from, to]) => i >= from && i < to));
  expect(inTemplate).toEqual([]);
}, 60000);

test("the engine's files take TypeScript's module as it is, never a copy of its 2,250 exports", () => {
  // `import * as ts` compiles (esModuleInterop) to a copy with a getter per
  // export in each importing file: 13,500 getters in the compiler for six files.
  const { config } = ts.readConfigFile(join(__dirname, '../../../tsconfig.json'), ts.sys.readFile);
  const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, __dirname);
  const importers = readdirSync(__dirname)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'))
    .map((name) => readFileSync(join(__dirname, name), 'utf8'))
    .filter((text) => /^import (?!type )[^;]*'@tslab\/typescript-for-tslab'/m.test(text));
  expect(importers.length).toBeGreaterThanOrEqual(6);
  for (const text of importers) {
    const js = ts.transpileModule(text, { compilerOptions: options }).outputText;
    expect(js).toMatch(/= require\("@tslab\/typescript-for-tslab"\)/);
    expect(js).not.toMatch(/__importStar\(require\("@tslab\/typescript-for-tslab"\)\)/);
  }
});
