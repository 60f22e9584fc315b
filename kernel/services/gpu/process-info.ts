import { readFileSync } from 'node:fs';

export type ProcessInfo = { user: string | null; command: string | null };

/** Reads a process's user and command line; nulls where /proc cannot see the pid. */
export type ProcessInfoReader = (pid: number) => ProcessInfo;

/** The real user id from the text of /proc/<pid>/status (`Uid:\treal\teffective\t...`). */
export function parseStatusUid(status: string): number | null {
  const m = /^Uid:\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : null;
}

/** `/proc/<pid>/cmdline` holds the arguments NUL-separated (and NUL-terminated). */
export function parseCmdline(raw: string): string | null {
  const text = raw.replace(/\0+$/, '').split('\0').join(' ').trim();
  return text === '' ? null : text;
}

/** User names by uid from the text of /etc/passwd. */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    if (Number.isInteger(uid) && !users.has(uid)) users.set(uid, f[0]);
  }
  return users;
}

/**
 * Reads user and command from /proc. A pid that nvidia-smi reports from
 * another pid namespace (a container) may not exist here, or may be another
 * process: the caller only asks for pids it has no better source for. A uid
 * with no passwd entry is shown as the number, as `ps` does.
 */
export function procInfoReader(procRoot = '/proc', passwdPath = '/etc/passwd'): ProcessInfoReader {
  let users: Map<number, string> | null = null;
  const nameOf = (uid: number): string => {
    if (!users) {
      try {
        users = parsePasswd(readFileSync(passwdPath, 'utf8'));
      } catch {
        users = new Map();
      }
    }
    return users.get(uid) ?? String(uid);
  };
  return (pid) => {
    let user: string | null = null;
    let command: string | null = null;
    try {
      const uid = parseStatusUid(readFileSync(`${procRoot}/${pid}/status`, 'utf8'));
      if (uid !== null) user = nameOf(uid);
    } catch {
      // gone, or not in this namespace
    }
    try {
      command = parseCmdline(readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8'));
    } catch {
      // gone, or not in this namespace
    }
    return { user, command };
  };
}
