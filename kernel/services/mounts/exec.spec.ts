import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helperPath } from './exec';

// Folders standing for volumes, by a mount table of the test's own: `drive`
// an sshfs volume, `mounting` the NFS volume being mounted, `nfshome` a
// cluster's home. Inside the volumes, bin is a link back to the local disk:
// a walk that read them would find the folder local.
const root = mkdtempSync(join(tmpdir(), 'warren-exec-'));
const [drive, mounting, nfshome, local] = ['drive', 'mounting', 'nfshome', 'local'].map((d) =>
  join(root, d)
);
mkdirSync(join(local, 'bin'), { recursive: true });
for (const volume of [drive, mounting, nfshome]) {
  mkdirSync(join(volume, 'tools'), { recursive: true });
  symlinkSync(join(local, 'bin'), join(volume, 'tools', 'bin'));
}
symlinkSync(join(drive, 'tools'), join(root, 'tools'));
symlinkSync(join(mounting, 'tools'), join(root, 'tools2'));
const table = [
  '1 0 8:1 / / rw - ext4 /dev/sda1 rw',
  `42 1 0:40 / ${drive} rw - fuse.sshfs me@host:/srv rw`,
  `43 1 0:41 / ${mounting} rw - nfs4 server:/export rw`,
  `44 1 0:42 / ${nfshome} rw - nfs4 server:/home rw`
].join('\n');

test("a mount helper's PATH leaves out folders on a network volume or the one being mounted, reached through a link or `..` too", () => {
  const path = [
    join(root, 'tools', 'bin'),
    join(root, 'tools2', 'bin'),
    join(drive, 'tools', 'bin'),
    `${drive}/sub/../../local/bin`,
    join(mounting, 'tools', 'bin'),
    join(nfshome, 'tools', 'bin'),
    join(local, 'bin'),
    'relative'
  ].join(':');
  expect(helperPath(path, mounting, table).split(':')).toEqual([
    // A cluster's NFS home stays, read for its links like any other folder.
    join(nfshome, 'tools', 'bin'),
    join(local, 'bin'),
    '/usr/local/sbin',
    '/usr/local/bin',
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin'
  ]);
});
