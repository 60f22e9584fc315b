import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inferKind, parseMount, rcloneRemotes, splitArgs } from './commands';
import { normalizeSpec } from './mountpoint';
import { redact, secretInRemote } from './secrets';
import { parseMountinfo } from '../../mountinfo';

test('splits magic arguments like a shell, without expanding anything', () => {
  expect(splitArgs(`gdrive: "/content/my drive" --config '$HOME/x' a\\ b`)).toEqual([
    'gdrive:',
    '/content/my drive',
    '--config',
    '$HOME/x',
    'a b'
  ]);
  expect(() => splitArgs('"open')).toThrow(/unclosed/);
});

test('infers the kind from the source', () => {
  expect(inferKind('/data')).toBe('bind');
  expect(inferKind('me@host:/srv')).toBe('sshfs');
  expect(inferKind('gdrive:')).toBe('rclone');
  expect(inferKind('s3:bucket/path')).toBe('rclone');
});

test('a host:/path without user@ is sshfs unless the rclone config defines the name', () => {
  const none = { remotes: [], sshOptions: false };
  expect(inferKind('127.0.0.1:/data', none)).toBe('sshfs');
  expect(inferKind('localhost:/data', none)).toBe('sshfs');
  expect(inferKind('files.example.org:/srv', none)).toBe('sshfs');
  expect(inferKind('[::1]:/srv', none)).toBe('sshfs');
  expect(inferKind('server:/srv', { remotes: [], sshOptions: true })).toBe('sshfs');
  expect(inferKind('gdrive:', { remotes: null, sshOptions: true })).toBe('rclone');
  expect(inferKind('server:/srv', none)).toBe('rclone');
  expect(inferKind('gdrive:folder', { remotes: null, sshOptions: false })).toBe('rclone');
  expect(inferKind('my.remote:/x', { remotes: ['my.remote'], sshOptions: true })).toBe('rclone');
  expect(inferKind('nas:/x', { remotes: ['NAS'], sshOptions: true })).toBe('rclone');
  const dir = mkdtempSync(join(tmpdir(), 'rclone-conf-'));
  const conf = join(dir, 'rclone.conf');
  writeFileSync(conf, '[box]\ntype = alias\nremote = /tmp\n\n[ 10.0.0.1 ]\ntype = local\n');
  expect(rcloneRemotes(conf, {})).toEqual(['box', '10.0.0.1']);
  expect(rcloneRemotes(join(dir, 'absent.conf'), {})).toBeNull();
  expect(rcloneRemotes(join(dir, 'absent.conf'), { RCLONE_CONFIG_NAS_TYPE: 'sftp' })).toEqual([
    'NAS'
  ]);
  const parsed = (args: string[]) => {
    const c = parseMount(args, '/');
    return c.action === 'mount' ? c.spec.kind : c.action;
  };
  expect(parsed(['127.0.0.1:/data', '/mnt'])).toBe('sshfs');
  expect(parsed(['box:/data', '/mnt', '--config', conf])).toBe('rclone');
  expect(() => parsed(['box:/data', '/mnt', '--config', conf, '-p', '22'])).toThrow(
    /-p applies only to sshfs mounts/
  );
  expect(parsed(['10.0.0.1:/data', '/mnt', '--config', conf])).toBe('rclone');
  expect(parsed(['server:/data', '/mnt', '-i', '/k'])).toBe('sshfs');
});

test('parses a mount line into a spec with absolute paths', () => {
  expect(parseMount(['gdrive:', 'drive', '--ro', '--auto', '--timeout', '5'], '/content')).toEqual({
    action: 'mount',
    save: true,
    spec: {
      kind: 'rclone',
      source: 'gdrive:',
      mountpoint: '/content/drive',
      readOnly: true,
      auto: true,
      timeoutS: 5
    }
  });
  expect(parseMount([], '/')).toEqual({ action: 'list' });
  expect(() => parseMount(['a:', '/b', '--bogus'], '/')).toThrow(/unknown option --bogus/);
});

test('refuses credentials in rclone connection strings and redacts them from text', () => {
  expect(secretInRemote(':s3,secret_access_key=abc:bucket')).toBe("'secret_access_key='");
  expect(secretInRemote(':sftp,host=h,key_file=/k:/')).toBeNull();
  expect(secretInRemote('gdrive:folder,x=1')).toBeNull();
  expect(redact('token = {"access_token":"ya29.abc"} pass=hunter2')).not.toMatch(/ya29|hunter2/);
});

test('reads mountinfo with escaped spaces', () => {
  const line = '42 27 0:39 / /tmp/my\\040drive rw,nosuid - fuse.rclone gdrive: rw,user_id=0';
  expect(parseMountinfo(line)).toEqual([
    {
      id: '42',
      mountpoint: '/tmp/my drive',
      fsType: 'fuse.rclone',
      source: 'gdrive:',
      options: 'rw,nosuid'
    }
  ]);
});

test('mount options: --opt=value is --opt value; an option of another kind is refused, not dropped', () => {
  const c = parseMount(['loc:', 'm', '--config=/c/rclone.conf', '--timeout=5'], '/w');
  expect(c).toEqual({
    action: 'mount',
    save: true,
    spec: {
      kind: 'rclone',
      source: 'loc:',
      mountpoint: '/w/m',
      rcloneConfig: '/c/rclone.conf',
      timeoutS: 5
    }
  });
  expect(() => parseMount(['gdrive:', '/m', '-p', '22'], '/')).toThrow(
    '-p applies only to sshfs mounts, and gdrive: is an rclone one (add --sshfs for sshfs)'
  );
  expect(() => parseMount(['me@h:/d', '/m', '--config=/c'], '/')).toThrow(
    '--config applies only to rclone mounts, and me@h:/d is a sshfs one'
  );
  expect(() => parseMount(['a:', '/b', '--bogus=1'], '/')).toThrow(/unknown option --bogus=1/);
});

test('a timeout out of range says which range is allowed', () => {
  expect(() =>
    normalizeSpec({ kind: 'rclone', source: 'loc:', mountpoint: '/m', timeoutS: 0 })
  ).toThrow('timeoutS must be more than 0 and at most 3600 seconds, not 0');
});
