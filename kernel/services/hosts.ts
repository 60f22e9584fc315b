/**
 * A host ssh, scp or sshfs may be given: a DNS name or an IP address. A name
 * starting with '-' would be read as an option (`-oProxyCommand=...` runs a
 * command), and '@', ':', spaces or quotes change what the argument means.
 */
export function checkHost(host: string, what = 'host'): string {
  const name = /^[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/;
  const ipv6 = /^\[?[0-9A-Fa-f:.]+(?:%[A-Za-z0-9]+)?\]?$/;
  if (host.length > 253 || !(name.test(host) || (host.includes(':') && ipv6.test(host))))
    throw new Error(
      `not a ${what} name: ${JSON.stringify(host)} (letters, digits, '.', '-', '_', or an IP address; it may not start with '-')`
    );
  return host;
}

/** A login name: no '-' first (an option), no '@' or ':' (they split user from host). */
export function checkUser(user: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(user) || user.length > 64)
    throw new Error(
      `not a user name: ${JSON.stringify(user)} (letters, digits, '.', '-', '_'; it may not start with '-')`
    );
  return user;
}

/**
 * An ssh-style `[user@]host:path` (sshfs's source), checked part by part;
 * returns the parts or throws with what is wrong.
 */
export function splitRemote(source: string): { user: string | null; host: string; path: string } {
  const m = /^(?:([^@]*)@)?(\[[^\]]*\]|[^:]*):(.*)$/s.exec(source);
  if (!m) throw new Error(`expected [user@]host:/path, not ${JSON.stringify(source)}`);
  const [, user, host, path] = m;
  // Never quoted back: what follows the colon is a password.
  if (user?.includes(':'))
    throw new Error(
      'a password in the source (user:password@host) is not taken: sshfs logs in with a key (-i KEYFILE, identityFile), never a password in the source'
    );
  if (user !== undefined) checkUser(user);
  checkHost(host.replace(/^\[(.*)\]$/, '$1'));
  if (/[\n\r\0]/.test(path))
    throw new Error(`a remote path cannot hold a line break: ${JSON.stringify(source)}`);
  return { user: user ?? null, host, path };
}
