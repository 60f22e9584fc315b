import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { History } from './history';

test('keeps the latest entries up to its limit in memory as cells run, every line in its file', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'warren-history-')), 'history.jsonl');
  const history = new History(file, 3);
  for (let line = 1; line <= 5; line++) history.store(line, `cell ${line}`);
  expect(history.tail(10, false)).toEqual([
    [history.session, 3, 'cell 3'],
    [history.session, 4, 'cell 4'],
    [history.session, 5, 'cell 5']
  ]);
  expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(5);
  // A kernel started later loads the latest `limit` of them.
  expect(new History(file, 3).tail(10, false).map((row) => row[2])).toEqual([
    'cell 3',
    'cell 4',
    'cell 5'
  ]);
});
