import { checkHost, checkUser, splitRemote } from './hosts';

test('a host or user that ssh would read as an option, or that splits differently, is refused', () => {
  for (const host of [
    '-oProxyCommand=touch x',
    '-p22',
    'a b',
    'a@b',
    'h;id',
    '$(id)',
    'h\n',
    '',
    '.h'
  ])
    expect(() => checkHost(host)).toThrow(/not a host name/);
  for (const user of ['-oProxyCommand=x', 'a@b', 'a:b', 'a b', '', '$(id)'])
    expect(() => checkUser(user)).toThrow(/not a user name/);
});

test('names, addresses and users ssh takes as they are pass', () => {
  for (const host of [
    '127.0.0.1',
    'login-1.cluster.example.org',
    'node_07',
    '::1',
    '[fe80::1%eth0]'
  ])
    expect(checkHost(host)).toBe(host);
  expect(checkUser('bob.smith-2')).toBe('bob.smith-2');
});

test('an sshfs source is split into user, host and path, each checked', () => {
  expect(splitRemote('root@127.0.0.1:/srv/data dir')).toEqual({
    user: 'root',
    host: '127.0.0.1',
    path: '/srv/data dir'
  });
  expect(splitRemote('host:')).toEqual({ user: null, host: 'host', path: '' });
  expect(() => splitRemote('-oProxyCommand=touch /tmp/x:/')).toThrow(/not a host name/);
  expect(() => splitRemote('-x@host:/')).toThrow(/not a user name/);
  expect(() => splitRemote('/just/a/path')).toThrow(/expected \[user@\]host:\/path/);
});
