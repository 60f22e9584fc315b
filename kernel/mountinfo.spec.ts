import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { followLinks, onNetworkFuse, remoteMountOf } from './mountinfo';

// A folder standing for a Drive mount: the table says an sshfs volume holds
// it, and the test never reads anything inside it (a hung one never answers).
const root = mkdtempSync(join(tmpdir(), 'warren-mountinfo-'));
const drive = join(root, 'drive');
const home = join(root, 'home');
mkdirSync(join(drive, 'tools', 'bin'), { recursive: true });
mkdirSync(join(home, 'local', 'bin'), { recursive: true });
symlinkSync(join(drive, 'tools'), join(home, 'tools'));
symlinkSync('../drive', join(home, 'drive-rel'));
symlinkSync('local', join(home, 'here'));
symlinkSync('loop-b', join(home, 'loop-a'));
symlinkSync('loop-a', join(home, 'loop-b'));
const table = [
  '1 0 8:1 / / rw - ext4 /dev/sda1 rw',
  `42 1 0:40 / ${drive} rw,nosuid - fuse.sshfs me@host:/srv rw`,
  '43 1 0:41 / /net rw - autofs /etc/auto.net rw'
].join('\n');

test("a toolbox kept through a link into a Drive mount is on the Drive: the link's folder is read, the Drive never", () => {
  const remote = remoteMountOf(table);
  expect(remote(join(home, 'tools', 'bin'))).toBe('42');
  expect(remote(join(home, 'drive-rel', 'tools', 'bin'))).toBe('42');
  expect(remote(join(drive, 'tools', 'bin'))).toBe('42');
  expect(remote(join(home, 'local', 'bin'))).toBeNull();
  expect(remote(join(home, 'here', 'bin'))).toBeNull();
  // `..` below the Drive is the Drive's to resolve: still on it.
  expect(remote(`${drive}/sub/../../home/local/bin`)).toBe('42');
  expect(remote(`${home}/tools/../../home/local/bin`)).toBe('42');
  // An automounted folder not mounted yet: a first look would mount it.
  expect(remote('/net/host/share/bin')).toBe('43');
  expect(onNetworkFuse(table)(join(home, 'tools', 'bin'))).toBe(true);
  expect(onNetworkFuse(table)(join(home, 'here', 'bin'))).toBe(false);
});

test('links are followed as the system does; where the walk meets a volume that may hang, the rest stays as written', () => {
  const asked: string[] = [];
  const remote = (p: string) => {
    asked.push(p);
    return p === drive || p.startsWith(`${drive}/`);
  };
  // `..` after a link is the parent of where the link leads, as the system has it.
  expect(followLinks(`${home}/here/../here/bin`, remote)).toBe(join(home, 'local', 'bin'));
  expect(followLinks(`${home}/drive-rel/../home/local`, remote)).toBe(`${drive}/../home/local`);
  // Past the Drive's mountpoint the path stays as written, `..` and all.
  expect(followLinks(`${home}/tools/x/../bin`, remote)).toBe(`${drive}/tools/x/../bin`);
  // Nothing past the Drive's mountpoint was asked about (nor read).
  expect(asked.filter((p) => p.startsWith(`${drive}/`))).toEqual([]);
  expect(followLinks(join(home, 'here', 'bin'), remote)).toBe(join(home, 'local', 'bin'));
  expect(followLinks(`${home}//./here/bin/`, remote)).toBe(join(home, 'local', 'bin'));
  // A loop, or a part that is missing, ends the walk with the path as it stands.
  expect(followLinks(join(home, 'loop-a', 'bin'), remote)).toMatch(/loop-[ab]\/bin$/);
  expect(followLinks(join(home, 'missing', 'bin'), remote)).toBe(join(home, 'missing', 'bin'));
  expect(followLinks('relative/bin', remote)).toBe('relative/bin');
});
