import { inferKind, parseMount, splitArgs } from './commands';
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
