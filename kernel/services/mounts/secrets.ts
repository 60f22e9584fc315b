/**
 * Keeps secrets out of mounts.json, outputs and log lines. Mount definitions
 * name rclone remotes and key files; they never carry a token or a password.
 */

/**
 * Words that make a parameter a credential, in any case and with '-' or '_':
 * rclone's pass/password (sftp, webdav, ftp, smb, crypt's password2), token
 * (every OAuth backend), key (azureblob's account key, sftp's key_pem),
 * secret_access_key, bearer_token, client_secret, service_account_credentials,
 * sas_url, and the RCLONE_CONFIG_*_PASS spelling of the same.
 */
const SECRET_WORD = /pass|token|secret|key|bearer|auth|credential|cookie|signature|sas/i;

/** Parameters that contain such a word but hold a path, a switch or an address. */
function harmless(name: string): boolean {
  return (
    (/_(file|path|url|command)$/.test(name) && name !== 'sas_url') ||
    ['ask_password', 'key_use_agent', 'auth_version', 'use_insecure_cipher'].includes(name)
  );
}

/** A URL with a password in its userinfo (`scheme://user:password@host`). */
const URL_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s/@"',]*:[^\s/@"',]*@/i;

/**
 * The parameters of an rclone connection string (`remote,a=b,c="d,e":path`
 * or `:backend,a=b:path`): values may be quoted with " or ' (a quote doubled
 * inside), and a value may itself be a connection string (crypt's remote).
 */
function connectionParams(source: string): Array<{ name: string; value: string | null }> {
  const out: Array<{ name: string; value: string | null }> = [];
  let i = source.startsWith(':') ? 1 : 0;
  while (i < source.length && source[i] !== ',' && source[i] !== ':') i++;
  while (source[i] === ',') {
    i++;
    let name = '';
    while (i < source.length && !',:='.includes(source[i])) name += source[i++];
    let value: string | null = null;
    if (source[i] === '=') {
      i++;
      value = '';
      const q = source[i];
      if (q === '"' || q === "'") {
        for (i++; i < source.length; i++) {
          if (source[i] === q && source[i + 1] === q) value += source[++i];
          else if (source[i] === q) {
            i++;
            break;
          } else value += source[i];
        }
      } else while (i < source.length && !',:'.includes(source[i])) value += source[i++];
    }
    out.push({ name: name.trim().toLowerCase().replace(/-/g, '_'), value });
  }
  return out;
}

/**
 * What in an rclone source would store a secret in clear text, or null:
 * a credential parameter (any spelling, quoted or not, nested in a quoted
 * remote) or a password in a URL's userinfo.
 */
export function secretInRemote(source: string): string | null {
  if (URL_PASSWORD.test(source)) return 'a password in a URL (user:password@host)';
  for (const { name, value } of connectionParams(source)) {
    if (value !== null && SECRET_WORD.test(name) && !harmless(name)) return `'${name}='`;
    if (value && value.includes(':')) {
      const inner = secretInRemote(value);
      if (inner) return inner;
    }
  }
  return null;
}

/**
 * Whether a parameter's name says it holds a credential. Read word by word
 * (split at `_`, `-`, `.` and camelCase), so that ssh's option names
 * (StrictHostKeyChecking, PubkeyAuthentication, HostKeyAlias) and rclone's
 * key_file stay readable: `key` counts only as the last word (account_key,
 * private_key, apiKey, RCLONE_CONFIG_X_KEY), and `auth`, `sas`, `sig`, `pem`
 * only as words of their own; pass, token, secret and kin count anywhere.
 */
export function secretName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[\s_.-]+/)
    .filter(Boolean);
  return (
    words.some(
      (w) =>
        /pass|token|secret|bearer|credential|cookie|signature/.test(w) ||
        ['auth', 'authorization', 'sas', 'sig', 'pem'].includes(w)
    ) || /key$/.test(words[words.length - 1] ?? '')
  );
}

/**
 * A parameter name where one starts: not inside a word or a path, so that
 * `/home/me/.ssh/nokey: ENOENT` is no `nokey: value`.
 */
const NAME = '(?<![A-Za-z0-9_./-])([A-Za-z0-9_.-]+)';

/** Masks anything that looks like a credential in a line of text. */
export function redact(text: string): string {
  return redactParams(
    text
      .replace(
        /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
        '[private key]'
      )
      .replace(/(\btoken\s*=\s*)\{[^\n]*\}/gi, '$1***')
      // Authorization: Bearer xyz / Basic xyz
      .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, '$1 ***')
      // user:password@ in any URL
      .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s/:@"',]*):[^\s/@"',]*@/gi, '$1:***@')
      // user:password@host (an ssh-style source)
      .replace(
        /(?<![A-Za-z0-9_.:/-])([A-Za-z0-9_][A-Za-z0-9._-]*):[^\s/@:"',]+@(?=[A-Za-z0-9[])/g,
        '$1:***@'
      )
      // --webdav-pass VALUE, --sftp-key-pem=VALUE
      .replace(
        /(--[A-Za-z0-9-]+)(=|\s+)(?!-)("[^"]*"|'[^']*'|\S+)/g,
        (all: string, flag: string, sep: string) =>
          secretName(flag.slice(2)) ? `${flag}${sep}***` : all
      )
  );
}

/**
 * pass=x, pass="x,y", 'pass': 'x', "password": "x", RCLONE_CONFIG_R_PASS=x,
 * token: x. After a name that is no secret, the search goes on in its value,
 * which may hold parameters of its own (crypt's remote="...,pass=x", or
 * `Failed: pass=x`).
 */
function redactParams(text: string): string {
  const re = new RegExp(
    `(["']?)${NAME}\\1(\\s*[:=]\\s*)("(?:[^"]|"")*"|'(?:[^']|'')*'|[^\\s,;}\\])"']+)`,
    'g'
  );
  let out = '';
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const [all, q, name, sep, value] = m;
    const head = `${q}${name}${q}${sep}`;
    if (value !== '***' && secretName(name)) {
      out += `${text.slice(at, m.index)}${head}***`;
      at = m.index + all.length;
    } else re.lastIndex = m.index + head.length;
  }
  return out + text.slice(at);
}
