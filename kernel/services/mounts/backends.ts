import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { freePort } from '../../ports';
import type { MountSpec } from '../../../src/contract/mounts';
import { checkHost, splitRemote } from '../hosts';
import { optionValue, unquotable } from '../ssh-options';
import { MountError } from './errors';
import { execArgs, firstError, helperEnv, which } from './exec';
import { mountAt } from '../../mountinfo';
import { timeoutOf } from './mountpoint';
import { daemonPid, daemonPids, forceUnmount } from './unmount';

export interface MountedDaemon {
  pid: number | null;
  rcPort: number | null;
}

export interface BackendContext {
  /** rclone's own log file for this mountpoint. */
  daemonLog: string;
  log(text: string, level?: 'info' | 'warn' | 'error'): void;
}

function need(program: string, pkg: string): string {
  const path = which(program);
  if (!path) throw new MountError(`${program} is not installed (Debian package ${pkg})`);
  return path;
}

function rcloneBase(spec: MountSpec): string[] {
  return spec.rcloneConfig ? ['--config', spec.rcloneConfig] : [];
}

/** The remote's name as rclone's config knows it (`gdrive` for `gdrive:folder`), or null for `:backend:` strings. */
export function remoteName(source: string): string | null {
  if (source.startsWith(':')) return null;
  const m = /^([^:,]+)(,[^:]*)?:/.exec(source);
  return m ? m[1] : null;
}

/**
 * Checks, before anything is mounted, that the source can be reached: the
 * rclone remote exists and its folder lists, the program is installed, the
 * local folder exists. Throws a MountError that says which.
 */
export async function preflight(spec: MountSpec): Promise<void> {
  const t = timeoutOf(spec);
  switch (spec.kind) {
    case 'rclone': {
      const rclone = need('rclone', 'rclone');
      // rclone reads a missing --config as an empty one: say which it is.
      if (spec.rcloneConfig && !existsSync(spec.rcloneConfig))
        throw new MountError(`the rclone config file ${spec.rcloneConfig} does not exist`);
      const listed = await execArgs(rclone, [...rcloneBase(spec), 'listremotes'], {
        timeoutMs: 10000
      });
      const remotes = listed.stdout
        .split('\n')
        .map((l) => l.trim().replace(/:$/, ''))
        .filter(Boolean);
      const name = remoteName(spec.source);
      if (name !== null && !remotes.includes(name)) {
        const where = spec.rcloneConfig ?? 'the rclone config';
        throw new MountError(
          `unknown rclone remote '${name}:' in ${where}` +
            (remotes.length
              ? ` (known: ${remotes.map((r) => r + ':').join(', ')})`
              : ' (it defines no remotes; run `rclone config`)') +
            (spec.source.startsWith(`${name}:/`)
              ? `; for sshfs to a host ${name}, write user@${spec.source} or add --sshfs`
              : '')
        );
      }
      const r = await execArgs(
        rclone,
        [
          ...rcloneBase(spec),
          'lsf',
          '--max-depth',
          '1',
          '--dirs-only',
          '--contimeout',
          `${t}s`,
          '--timeout',
          `${t}s`,
          '--low-level-retries',
          '1',
          '--retries',
          '1',
          spec.source
        ],
        {
          timeoutMs: t * 1000 + 2000
        }
      );
      if (r.timedOut)
        throw new MountError(
          `${spec.source} did not answer in ${t} s (network down? expired credentials? raise timeoutS)`
        );
      if (r.code !== 0) {
        if (/directory not found/i.test(r.stderr))
          throw new MountError(`folder not found on the remote: ${spec.source}`);
        throw new MountError(`rclone cannot reach ${spec.source}: ${firstError(r.stderr)}`);
      }
      return;
    }
    case 'sshfs':
      need('sshfs', 'sshfs');
      try {
        splitRemote(spec.source);
      } catch (error) {
        throw new MountError(`sshfs source: ${(error as Error).message}`);
      }
      for (const path of [spec.identityFile, spec.knownHostsFile]) if (path) sshPath(path);
      if (spec.identityFile) {
        try {
          readFileSync(spec.identityFile);
        } catch (error) {
          throw new MountError(
            `cannot read the identity file ${spec.identityFile}: ${(error as NodeJS.ErrnoException).code}`
          );
        }
      }
      return;
    case 'bind': {
      needRoot('bind mounts');
      let isDir = false;
      try {
        isDir = statSync(spec.source).isDirectory();
      } catch {
        throw new MountError(`source folder ${spec.source} does not exist`);
      }
      if (!isDir) throw new MountError(`source ${spec.source} is not a folder`);
      return;
    }
    case 'nfs':
      if (!/^[^:\s]+:\//.test(spec.source))
        throw new MountError(`NFS source must be host:/export, not '${spec.source}'`);
      try {
        checkHost(spec.source.slice(0, spec.source.indexOf(':')), 'NFS server');
      } catch (error) {
        throw new MountError((error as Error).message);
      }
      needRoot('NFS mounts');
      if (!which('mount.nfs'))
        throw new MountError(
          'NFS is not available here: mount.nfs is missing (Debian package nfs-common)'
        );
      return;
  }
}

function needRoot(what: string): void {
  if (process.getuid && process.getuid() !== 0)
    throw new MountError(
      `${what} need root (CAP_SYS_ADMIN); this kernel runs as uid ${process.getuid()}`
    );
}

/**
 * A path as an ssh option's value: in double quotes, which ssh_config takes
 * around a value holding spaces (Colab's "My Drive"), and `%` doubled, since
 * ssh expands %-tokens in IdentityFile and UserKnownHostsFile. What cannot be
 * written there is refused: a double quote or backslash (ssh and sshfs's -o
 * parser each read their own escapes), a comma (sshfs splits -o values on
 * it), a control character.
 */
export function sshPath(path: string): string {
  const bad = path.includes(',') ? 'a comma' : unquotable(path);
  if (bad)
    throw new MountError(
      `an sshfs key or known_hosts path cannot hold ${bad}: ${JSON.stringify(path)}`
    );
  return optionValue(path);
}

/** Mounts; on any failure leaves nothing mounted and throws a MountError. */
export async function mountBackend(spec: MountSpec, ctx: BackendContext): Promise<MountedDaemon> {
  const t = timeoutOf(spec);
  switch (spec.kind) {
    case 'rclone':
      return mountRclone(spec, ctx, t);
    case 'sshfs': {
      const args = ['-p', String(spec.port ?? 22)];
      const options = [
        'BatchMode=yes',
        `ConnectTimeout=${t}`,
        'ServerAliveInterval=10',
        'ServerAliveCountMax=3',
        'reconnect',
        spec.knownHostsFile ? `UserKnownHostsFile=${sshPath(spec.knownHostsFile)}` : '',
        spec.knownHostsFile ? 'StrictHostKeyChecking=yes' : 'StrictHostKeyChecking=accept-new',
        spec.identityFile ? `IdentityFile=${sshPath(spec.identityFile)}` : '',
        spec.identityFile ? 'IdentitiesOnly=yes' : '',
        spec.readOnly ? 'ro' : ''
      ].filter(Boolean);
      // sshfs splits -o values on commas: a path holding one would be cut.
      for (const o of options) {
        if (o.includes(',')) throw new MountError(`a comma cannot appear in an sshfs option: ${o}`);
        args.push('-o', o);
      }
      // Options first, then `--`: nothing after it is taken as an option.
      args.push('--', spec.source, spec.mountpoint);
      ctx.log(`sshfs ${args.join(' ')}`);
      // A detached hung sshfs of this path still names it: the new daemon is the one not here yet.
      const before = daemonPids('sshfs', spec.mountpoint);
      const r = await execArgs(need('sshfs', 'sshfs'), args, {
        timeoutMs: t * 1000 + 3000,
        volume: spec.mountpoint
      });
      if (r.timedOut) {
        await forceUnmount(spec.mountpoint);
        throw new MountError(
          `sshfs did not connect to ${spec.source} in ${t} s (host down or firewalled? raise timeoutS)`
        );
      }
      if (r.code !== 0 || !mountAt(spec.mountpoint)) {
        await forceUnmount(spec.mountpoint);
        let reason = firstError(r.stderr);
        // sshfs hides ssh's own complaint (auth, host key) behind "Connection
        // reset by peer": ask ssh itself, with the same options.
        if (!reason || /connection reset|remote host has disconnected/i.test(reason)) {
          const host = spec.source.slice(0, spec.source.indexOf(':'));
          const sshOptions = options
            .filter((o) => o !== 'reconnect' && o !== 'ro')
            .flatMap((o) => ['-o', o]);
          const ssh = await execArgs(
            'ssh',
            ['-p', String(spec.port ?? 22), ...sshOptions, '-T', '--', host, 'true'],
            { timeoutMs: t * 1000 + 2000, volume: spec.mountpoint }
          );
          reason = firstError(ssh.stderr) || reason;
        }
        throw new MountError(`sshfs failed: ${reason || `exit ${r.code}`}`);
      }
      return { pid: daemonPid('sshfs', spec.mountpoint, before), rcPort: null };
    }
    case 'bind': {
      const args = [
        '--bind',
        ...(spec.readOnly ? ['-o', 'ro'] : []),
        '--',
        spec.source,
        spec.mountpoint
      ];
      ctx.log(`mount ${args.join(' ')}`);
      const r = await execArgs(need('mount', 'mount'), args, {
        timeoutMs: t * 1000,
        volume: spec.mountpoint
      });
      if (r.code !== 0)
        throw new MountError(`mount --bind failed: ${firstError(r.stderr) || `exit ${r.code}`}`);
      return { pid: null, rcPort: null };
    }
    case 'nfs': {
      const opts = [
        'soft',
        `timeo=${Math.min(600, t * 10)}`,
        'retrans=2',
        spec.readOnly ? 'ro' : 'rw'
      ].join(',');
      const args = ['-t', 'nfs', '-o', opts, '--', spec.source, spec.mountpoint];
      ctx.log(`mount ${args.join(' ')}`);
      const r = await execArgs(need('mount', 'mount'), args, {
        timeoutMs: t * 1000 + 2000,
        volume: spec.mountpoint
      });
      if (r.timedOut) {
        await forceUnmount(spec.mountpoint);
        throw new MountError(`NFS server of ${spec.source} did not answer in ${t} s`);
      }
      if (r.code !== 0)
        throw new MountError(`NFS mount failed: ${firstError(r.stderr) || `exit ${r.code}`}`);
      return { pid: null, rcPort: null };
    }
  }
}

async function mountRclone(
  spec: MountSpec,
  ctx: BackendContext,
  t: number
): Promise<MountedDaemon> {
  const rclone = need('rclone', 'rclone');
  const rcPort = await freePort();
  const args = [
    ...rcloneBase(spec),
    'mount',
    spec.source,
    spec.mountpoint,
    '--vfs-cache-mode',
    'writes',
    // Written files reach the remote 2 s after close (rclone's default is 5 s).
    '--vfs-write-back',
    '2s',
    '--contimeout',
    `${t}s`,
    '--timeout',
    `${Math.max(60, t)}s`,
    // The rc answers vfs/stats (what is left to upload) before an unmount; no
    // user or password is set, so only methods that need no auth are served.
    '--rc',
    '--rc-addr',
    `127.0.0.1:${rcPort}`,
    '--log-file',
    ctx.daemonLog,
    '--log-level',
    'INFO',
    ...(spec.readOnly ? ['--read-only'] : []),
    ...(spec.execBits === false ? [] : ['--file-perms', '0755'])
  ];
  ctx.log(`rclone ${args.join(' ')}`);
  // rclone's own log can quote what its config holds: readable by this user only.
  closeSync(openSync(ctx.daemonLog, 'w', 0o600));
  // Not --daemon: its parent and child both bind the rc port. Started detached
  // instead, the mount outlives this kernel and we know the daemon's pid.
  // helperPath's PATH: rclone runs fusermount by it.
  const child = spawn(rclone, args, {
    detached: true,
    stdio: 'ignore',
    env: helperEnv(process.env, spec.mountpoint)
  });
  child.unref();
  const exited = new Promise<number | null>((ok) => {
    child.once('exit', (code) => ok(code));
    child.once('error', () => ok(-1));
  });
  const deadline = Date.now() + t * 1000;
  while (Date.now() < deadline) {
    if (mountAt(spec.mountpoint)) return { pid: child.pid ?? null, rcPort };
    const done = await Promise.race([
      exited,
      new Promise<'wait'>((ok) => setTimeout(() => ok('wait'), 50))
    ]);
    if (done !== 'wait') {
      const text = readLog(ctx.daemonLog);
      throw new MountError(`rclone mount failed: ${firstError(text) || `exit ${done}`}`);
    }
  }
  if (child.pid) killGroup(child.pid);
  await forceUnmount(spec.mountpoint);
  throw new MountError(
    `rclone did not mount ${spec.source} in ${t} s (network down? expired token? raise timeoutS)`
  );
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone
  }
}
