import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';

import { parseCmdline, parsePasswd, parseStatusUid, procInfoReader } from './process-info';

describe('GPU process user and command', () => {
  it('reads the real uid from a status file', () => {
    expect(parseStatusUid('Name:\tpython3\nUid:\t1000\t1000\t1000\t1000\nGid:\t100\n')).toBe(1000);
    expect(parseStatusUid('Name:\tx\n')).toBeNull();
  });

  it('joins NUL-separated arguments and drops the final NUL', () => {
    expect(parseCmdline('python3\0train.py\0--epochs\x0010\0')).toBe(
      'python3 train.py --epochs 10'
    );
    expect(parseCmdline('')).toBeNull();
  });

  it('maps uids to the first name in passwd', () => {
    const users = parsePasswd(
      'root:x:0:0:root:/root:/bin/bash\n# c\nada:x:1000:1000::/home/ada:/bin/sh\n'
    );
    expect(users.get(0)).toBe('root');
    expect(users.get(1000)).toBe('ada');
  });

  it('reads a live process, and nulls for a pid that is not here', async () => {
    const child = spawn('sleep', ['30']);
    try {
      const read = procInfoReader();
      expect(read(child.pid as number)).toEqual({ user: userInfo().username, command: 'sleep 30' });
      expect(read(2 ** 22 + 17)).toEqual({ user: null, command: null });
    } finally {
      const closed = new Promise((r) => child.once('close', r));
      child.kill('SIGKILL');
      await closed;
    }
  });
});
