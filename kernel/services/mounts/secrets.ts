/**
 * Keeps secrets out of mounts.json, outputs and log lines. Mount definitions
 * name rclone remotes and key files; they never carry a token or a password.
 */

const SECRET_KEY =
  /(pass(word)?|token|secret|client_secret|access_key(_id)?|secret_access_key|session_token|key|sas_url|bearer|auth)/i;

/**
 * rclone accepts connection strings with parameters (`:s3,secret_access_key=...:bucket`
 * or `remote,token=...:`): those would be stored in clear text in mounts.json,
 * so parameters that look like credentials are refused.
 */
export function secretInRemote(source: string): string | null {
  const head = /^(:?[^:]*):/.exec(source)?.[1] ?? '';
  for (const part of head.split(',').slice(1)) {
    const name = part.split('=')[0].trim();
    if (SECRET_KEY.test(name) && !/_file$/i.test(name)) return name;
  }
  return null;
}

/** Masks anything that looks like a credential in a line of text. */
export function redact(text: string): string {
  return text
    .replace(/(\btoken\s*=\s*)\{[^\n]*\}/gi, '$1***')
    .replace(
      /("?(?:access_token|refresh_token|token|password|pass|secret|client_secret|secret_access_key|session_token)"?\s*[:=]\s*)("[^"]*"|[^\s,}:]+)/gi,
      '$1***'
    )
    .replace(/(https?:\/\/[^\s:/@]+:)[^\s@/]+@/gi, '$1***@')
    .replace(
      /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
      '[private key]'
    );
}
