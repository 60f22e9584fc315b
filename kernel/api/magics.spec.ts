import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAGICS } from './magics';

test('the magics README documents are exactly those of the table', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const documented = new Set([...readme.matchAll(/`(%%?[a-z_]+)\b/g)].map((m) => m[1]));
  const table = new Set(
    Object.entries(MAGICS).map(([name, m]) => (m.kind === 'cell' ? '%%' : '%') + name)
  );
  expect([...documented].sort()).toEqual([...table].sort());
});

test('each usage line starts with its own magic', () => {
  for (const [name, m] of Object.entries(MAGICS))
    expect(m.usage.startsWith((m.kind === 'cell' ? '%%' : '%') + name)).toBe(true);
});
