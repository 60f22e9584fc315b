import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from './store';

test('a run is loaded by its id, and a path given as an id is refused', () => {
  const base = mkdtempSync(join(tmpdir(), 'warren-store-'));
  const store = new RunStore(join(base, 'runs'));
  writeFileSync(join(base, 'outside.json'), '{"id":"outside"}');
  expect(() => store.load('../outside')).toThrow('not a run id');
  expect(() => store.load('/etc/passwd')).toThrow('not a run id');
  expect(() => store.load('20261124-abc')).toThrow(/no run 20261124-abc in/);
  const record = { id: 'map-1a2b', submitted: '2026-11-24T00:00:00Z' } as never;
  store.save(record);
  expect(store.load('map-1a2b')).toMatchObject({ id: 'map-1a2b' });
});
