/**
 * scripts/schema-types.js, the generator of settings.ts: run on fixture
 * schemas in a temporary folder (what it makes of each kind of property, what
 * it refuses to compile) and on every schema in schema/.
 */
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { runInNewContext } from 'node:vm';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
const GENERATOR = join(ROOT, 'scripts', 'schema-types.js');

interface Generated {
  dir: string;
  file: string;
  text: string;
}

/** Runs the generator on a folder of schemas; returns the file it wrote. */
function run(schemaDir: string, out: string): Generated {
  execFileSync(process.execPath, [GENERATOR, schemaDir, out], { stdio: 'pipe' });
  return { dir: schemaDir, file: out, text: readFileSync(out, 'utf8') };
}

/** Writes `schemas` (file base name -> schema) into a fresh folder and runs the generator on it. */
function generate(schemas: Record<string, object>): Generated {
  const dir = mkdtempSync(join(tmpdir(), 'warren-schema-types-'));
  mkdirSync(join(dir, 'schema'));
  for (const [name, schema] of Object.entries(schemas))
    writeFileSync(join(dir, 'schema', `${name}.json`), JSON.stringify(schema, null, 2));
  return run(join(dir, 'schema'), join(dir, 'settings.ts'));
}

/** The type errors of the generated file and of `probe`, a module beside it that may import it. */
function typeErrors(generated: Generated, probe = ''): string[] {
  const probeFile = join(generated.file, '..', 'probe.ts');
  writeFileSync(probeFile, `${probe}\nexport {};\n`);
  const program = ts.createProgram([generated.file, probeFile], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    lib: ['lib.es2022.d.ts'],
    types: []
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file
      ? `${basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
      : '';
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

/** The values the generated module exports, as plain data. */
function exported(generated: Generated): Record<string, unknown> {
  const js = ts.transpileModule(generated.text, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 }
  }).outputText;
  const module = { exports: {} as Record<string, unknown> };
  // It imports nothing: no require is given.
  runInNewContext(js, { module, exports: module.exports });
  return JSON.parse(JSON.stringify(module.exports)) as Record<string, unknown>;
}

const widget = {
  title: 'A widget',
  description: 'A fixture plugin.',
  type: 'object',
  definitions: {
    slot: {
      type: 'object',
      properties: {
        name: { title: 'Name', type: 'string' },
        size: { title: 'Size', type: 'integer' }
      },
      required: ['name'],
      additionalProperties: false
    }
  },
  properties: {
    side: { title: 'Side', type: 'string', enum: ['left', 'right'], default: 'left' },
    count: { title: 'Count', type: 'integer', default: 3 },
    on: { title: 'On', type: 'boolean', default: true },
    slots: {
      title: 'Slots',
      type: 'array',
      items: { $ref: '#/definitions/slot' },
      default: [{ name: 'a' }]
    }
  },
  additionalProperties: false
};

describe('the settings generator on fixture schemas', () => {
  test("a schema's properties become an interface typed from it, and its defaults an object of the same keys", () => {
    // A second plugin whose property has the same title: titles are labels, not type names.
    const generated = generate({
      'big-widget': widget,
      other: {
        title: 'Other',
        type: 'object',
        properties: { side: { title: 'Side', type: 'string', enum: ['up', 'down'], default: 'up' } }
      }
    });
    expect(exported(generated)).toEqual({
      BigWidgetDefaults: { side: 'left', count: 3, on: true, slots: [{ name: 'a' }] },
      OtherDefaults: { side: 'up' }
    });
    expect(
      typeErrors(
        generated,
        [
          "import type { BigWidgetSettings, OtherSettings, Slot } from './settings';",
          'const none: BigWidgetSettings = {};',
          "const all: BigWidgetSettings = { side: 'right', count: 1, on: false, slots: [{ name: 'x', size: 2 }] };",
          "const slot: Slot = { name: 'y' };",
          "const other: OtherSettings = { side: 'down' };",
          'void [none, all, slot, other];'
        ].join('\n')
      )
    ).toEqual([]);
    const wrong = [
      "import type { BigWidgetSettings } from './settings';",
      "const a: BigWidgetSettings = { side: 'top' };",
      "const b: BigWidgetSettings = { count: '3' };",
      'const c: BigWidgetSettings = { slots: [{ size: 1 }] };',
      "const d: BigWidgetSettings = { colour: 'red' };",
      'void [a, b, c, d];'
    ].join('\n');
    // One error on each of lines 2-5 of the probe: an enum, a type, a required field, an unknown key.
    expect(typeErrors(generated, wrong).map((e) => e.split(' ')[0])).toEqual([
      'probe.ts:2',
      'probe.ts:3',
      'probe.ts:4',
      'probe.ts:5'
    ]);
  });

  test('a property the schema gives no default is a compile error in the generated file', () => {
    const generated = generate({
      partial: {
        title: 'Partial',
        type: 'object',
        properties: { given: { type: 'integer', default: 1 }, missing: { type: 'integer' } }
      }
    });
    const errors = typeErrors(generated);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^settings\.ts:\d+ Property 'missing' is missing/);
  });

  test('a schema with no settings (an icon and a title only) gets no type and no defaults', () => {
    const generated = generate({
      blank: { title: 'Blank', 'jupyter.lab.setting-icon': 'warren:blank', type: 'object' },
      other: {
        title: 'Other',
        type: 'object',
        properties: { on: { type: 'boolean', default: false } }
      }
    });
    expect(generated.text).not.toMatch(/Blank/);
    expect(exported(generated)).toEqual({ OtherDefaults: { on: false } });
  });

  test('an unchanged output is not written again, so nothing built from it looks stale', () => {
    const generated = generate({ 'big-widget': widget });
    const past = new Date('2001-01-01T00:00:00Z');
    utimesSync(generated.file, past, past);
    run(generated.dir, generated.file);
    expect(statSync(generated.file).mtimeMs).toBe(past.getTime());
    writeFileSync(
      join(generated.dir, 'big-widget.json'),
      JSON.stringify({ ...widget, title: 'Renamed' })
    );
    run(generated.dir, generated.file);
    expect(statSync(generated.file).mtimeMs).toBeGreaterThan(past.getTime());
  });
});

test("every schema in schema/ with settings gets its interface and its defaults, the schema's own", () => {
  const out = mkdtempSync(join(tmpdir(), 'warren-schema-types-'));
  const generated = run(join(ROOT, 'schema'), join(out, 'settings.ts'));
  const values = exported(generated);
  const files = readdirSync(join(ROOT, 'schema')).filter((f) => f.endsWith('.json'));
  expect(files.length).toBeGreaterThanOrEqual(9);
  const expected: Record<string, unknown> = {};
  for (const file of files) {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schema', file), 'utf8')) as {
      properties?: Record<string, { default?: unknown }>;
    };
    // gpu.json -> Gpu, sixel-terminal.json -> SixelTerminal
    const name = basename(file, '.json')
      .split('-')
      .map((w) => w[0].toUpperCase() + w.slice(1))
      .join('');
    const props = Object.entries(schema.properties ?? {});
    if (props.length === 0) {
      expect(generated.text).not.toContain(`${name}Settings`);
      continue;
    }
    expect(generated.text).toContain(`export interface ${name}Settings {`);
    // Every property has a default: Required<...> in the generated file holds it to that.
    expected[`${name}Defaults`] = Object.fromEntries(props.map(([key, p]) => [key, p.default]));
  }
  expect(values).toEqual(expected);
  expect(typeErrors(generated)).toEqual([]);
});
