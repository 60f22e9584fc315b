import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helperPath } from './exec';

const root = mkdtempSync(join(tmpdir(), 'warren-exec-'));
const drive = join(root, 'drive');
const mounting = join(root, 'mounting');
mkdirSync(join(root, 'local', 'bin'), { recursive: true });
symlinkSync(join(drive, 'tools'), join(root, 'tools'));
symlinkSync(join(mounting, 'tools'), join(root, 'tools2'));
const onDrive = (d: string) => d === drive || d.startsWith(`${drive}/`);

test("a mount helper's PATH leaves out folders on a network volume, or being mounted, reached through a link too", () => {
  const path = [
    join(root, 'tools', 'bin'),
    join(root, 'tools2', 'bin'),
    join(drive, 'x'),
    join(mounting, 'bin'),
    join(root, 'local', 'bin'),
    'relative'
  ].join(':');
  expect(helperPath(path, onDrive, mounting).split(':')).toEqual([
    join(root, 'local', 'bin'),
    '/usr/local/sbin',
    '/usr/local/bin',
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin'
  ]);
});
