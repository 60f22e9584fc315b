import { lstatSync, mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { dirname, isAbsolute, normalize, resolve } from 'node:path';
import type { MountSpec } from '../../../src/contract/mounts';
import { MountError } from './errors';
import { secretInRemote } from './secrets';

/** Seconds a mount's network steps may take unless its spec says. */
export const DEFAULT_TIMEOUT_S = 30;

export function timeoutOf(spec: MountSpec): number {
  return Math.max(1, spec.timeoutS ?? DEFAULT_TIMEOUT_S);
}

/** An absolute mountpoint, normalized, without a trailing slash. */
export function normalizeMountpoint(path: string): string {
  if (!isAbsolute(path))
    throw new MountError(`the mountpoint must be an absolute path, not '${path}'`);
  return normalize(path).replace(/(.)\/+$/, '$1');
}

/** Checks a spec's shape and strips what does not belong to its kind. */
export function normalizeSpec(input: MountSpec): MountSpec {
  const mountpoint = normalizeMountpoint(input.mountpoint);
  if (mountpoint === '/') throw new MountError('cannot mount over /');
  const spec: MountSpec = {
    kind: input.kind,
    source: String(input.source ?? '').trim(),
    mountpoint
  };
  if (!spec.source) throw new MountError('a mount needs a source');
  if (input.readOnly) spec.readOnly = true;
  if (input.auto) spec.auto = true;
  if (input.timeoutS !== undefined) {
    if (!(input.timeoutS > 0 && input.timeoutS <= 3600))
      throw new MountError(
        `timeoutS must be more than 0 and at most 3600 seconds, not ${input.timeoutS}`
      );
    spec.timeoutS = input.timeoutS;
  }
  switch (input.kind) {
    case 'rclone': {
      if (!spec.source.includes(':') || spec.source.startsWith('-'))
        throw new MountError(`an rclone source is remote: or remote:path, not '${spec.source}'`);
      const secret = secretInRemote(spec.source);
      if (secret)
        throw new MountError(
          `${secret} in the remote string would store a secret in clear text: put it in the rclone config (rclone config) and name the remote`
        );
      if (input.rcloneConfig) spec.rcloneConfig = resolve(input.rcloneConfig);
      if (input.execBits === false) spec.execBits = false;
      break;
    }
    case 'sshfs':
      if (input.port !== undefined) {
        if (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535)
          throw new MountError(`not a port: ${input.port}`);
        spec.port = input.port;
      }
      if (input.identityFile) spec.identityFile = resolve(input.identityFile);
      if (input.knownHostsFile) spec.knownHostsFile = resolve(input.knownHostsFile);
      break;
    case 'bind':
      if (!isAbsolute(spec.source))
        throw new MountError(`a bind source must be an absolute path, not '${spec.source}'`);
      spec.source = normalize(spec.source).replace(/(.)\/+$/, '$1');
      break;
    case 'nfs':
      break;
    default:
      throw new MountError(
        `unknown mount kind '${String((input as { kind: unknown }).kind)}' (rclone, sshfs, bind or nfs)`
      );
  }
  return spec;
}

/** Makes sure the mountpoint is an empty folder; returns the folders it created, outermost first. */
export function prepareMountpoint(mp: string): string[] {
  try {
    const s = lstatSync(mp);
    if (!s.isDirectory()) throw new MountError(`${mp} exists and is not a folder`);
    const entries = readdirSync(mp);
    if (entries.length)
      throw new MountError(
        `${mp} is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}): mounting would hide them; pick an empty or new folder`
      );
    return [];
  } catch (error) {
    if (error instanceof MountError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT')
      throw new MountError(`cannot use ${mp} as a mountpoint: ${describeErrno(code)}`);
  }
  const missing: string[] = [];
  for (let dir = mp; ; dir = dirname(dir)) {
    try {
      lstatSync(dir);
      break;
    } catch {
      missing.unshift(dir);
      if (dir === dirname(dir)) break;
    }
  }
  try {
    // One level at a time: a recursive mkdir reports EROFS as ENOENT.
    for (const dir of missing) mkdirSync(dir);
  } catch (error) {
    removeCreated(missing);
    throw new MountError(
      `cannot create the mountpoint ${mp}: ${describeErrno((error as NodeJS.ErrnoException).code)}`
    );
  }
  return missing;
}

export function removeCreated(created: string[]): void {
  for (const dir of [...created].reverse()) {
    try {
      rmdirSync(dir);
    } catch {
      return;
    }
  }
}

function describeErrno(code: string | undefined): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system (permission denied)';
    case 'ENOTCONN':
      return 'Transport endpoint is not connected (a dead mount is on the way)';
    case 'ENOTDIR':
      return 'a part of the path is a file';
    default:
      return code ?? 'unknown error';
  }
}
