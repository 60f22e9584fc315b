/**
 * Paths given to ssh as `-o NAME=VALUE` options (a known_hosts file, a
 * control socket), for the mount manager's sshfs and the remote runs' ssh
 * and scp. ssh parses such a value as a line of its configuration: words
 * split at spaces unless quoted, and `%` starts a token.
 */

/** What in `path` no option value can carry (a double quote, a backslash, a control character), or null. */
export function unquotable(path: string): string | null {
  const bad = /["\\\x00-\x1f\x7f]/.exec(path)?.[0];
  if (bad === undefined) return null;
  return bad === '"' ? 'a double quote' : bad === '\\' ? 'a backslash' : 'a control character';
}

/** `path` as an option's value: quoted, so a space stays in it (Colab's "My Drive"), and `%` doubled. */
export function optionValue(path: string): string {
  const bad = unquotable(path);
  if (bad) throw new Error(`an ssh option's path cannot hold ${bad}: ${JSON.stringify(path)}`);
  return `"${path.replace(/%/g, '%%')}"`;
}
