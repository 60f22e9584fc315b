import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GpuDefaults, RunsDefaults, SixelTerminalDefaults } from './settings';

const ROOT = join(__dirname, '..', '..');

test("each plugin's defaults are its schema's", () => {
  const schema = (name: string) =>
    JSON.parse(readFileSync(join(ROOT, 'schema', `${name}.json`), 'utf8')) as {
      properties: Record<string, { default: unknown }>;
    };
  for (const [name, defaults] of [
    ['gpu', GpuDefaults],
    ['runs', RunsDefaults],
    ['sixel-terminal', SixelTerminalDefaults]
  ] as const) {
    const props = schema(name).properties;
    expect(Object.keys(defaults).sort()).toEqual(Object.keys(props).sort());
    for (const [key, value] of Object.entries(defaults)) expect(value).toEqual(props[key].default);
  }
});
