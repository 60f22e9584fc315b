import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { privateFolder, userRuntimeFolder } from '../../paths';
import { checkHost, checkUser } from '../hosts';
import { optionValue } from '../ssh-options';

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Stopped at EXEC_MAX_BYTES of output (`code` is null, `stderr` says so). */
  flooded?: boolean;
}

/** The connection broke or the host did not answer: the same call may be tried again later. */
export class SiteError extends Error {
  override name = 'SiteError';
}

/**
 * Where a backend's commands run and how files get there: this machine, or a
 * host over ssh/scp. Commands are argument arrays; for ssh they are quoted
 * once for the remote shell, never glued from user strings.
 */
export interface Site {
  readonly description: string;
  exec(argv: string[], options?: { input?: string; timeoutMs?: number }): Promise<ExecResult>;
  /** Copies local files (or folders) into a remote folder, which must exist. */
  put(local: string[], remoteDir: string): Promise<void>;
  /** Copies a remote file to a local path. */
  get(remote: string, local: string): Promise<void>;
}

/** A command's name for a message: ssh's remote command where it is one. */
function argv0(cmd: string, args: string[]): string {
  return cmd === 'ssh' && args.length ? args[args.length - 1].slice(0, 80) : cmd;
}

export function shQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Most a command's stdout or stderr may hold: a command that floods output
 * (a log of gigabytes read whole) is stopped there rather than fill the
 * kernel's memory; its result says so.
 */
export const EXEC_MAX_BYTES = 32 * 1024 * 1024;

function spawnCollect(
  cmd: string,
  args: string[],
  input: string | undefined,
  timeoutMs: number,
  env: Record<string, string> = {}
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env }
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    let flooded = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const keep = (into: Buffer[]) => (d: Buffer) => {
      if (flooded) return;
      bytes += d.length;
      if (bytes > EXEC_MAX_BYTES) {
        flooded = true;
        child.kill('SIGKILL');
        return;
      }
      into.push(d);
    };
    child.stdout.on('data', keep(out));
    child.stderr.on('data', keep(err));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      // Decoded whole: a character split across two reads stays one.
      const stderr = Buffer.concat(err).toString();
      resolve({
        ...(flooded ? { flooded } : {}),
        code: flooded ? null : code,
        stdout: Buffer.concat(out).toString(),
        stderr: flooded
          ? `${stderr}${stderr && !stderr.endsWith('\n') ? '\n' : ''}warren: stopped ${argv0(cmd, args)}: its output passed ${EXEC_MAX_BYTES >> 20} MB`
          : stderr
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** Commands get `env` (the profile's, never a secret) on top of the login environment. */
export class LocalSite implements Site {
  readonly description = 'this machine';

  constructor(private readonly env: Record<string, string> = {}) {}

  async exec(
    argv: string[],
    options: { input?: string; timeoutMs?: number } = {}
  ): Promise<ExecResult> {
    try {
      return await spawnCollect(
        argv[0],
        argv.slice(1),
        options.input,
        options.timeoutMs ?? 60000,
        this.env
      );
    } catch (error) {
      return {
        code: 127,
        stdout: '',
        stderr: error instanceof Error ? error.message : String(error)
      };
    }
  }

  async put(local: string[], remoteDir: string): Promise<void> {
    for (const f of local) cpSync(f, join(remoteDir, basename(f)), { recursive: true });
  }

  async get(remote: string, local: string): Promise<void> {
    mkdirSync(dirname(local), { recursive: true });
    cpSync(remote, local, { recursive: true });
  }
}

export interface SshOptions {
  host: string;
  port?: number;
  user?: string;
  keyPath?: string;
  knownHostsPath?: string;
  connectTimeoutS?: number;
  env?: Record<string, string>;
}

/** How long a host's shared connection stays once its last command ended (seconds). */
export const SHARED_CONNECTION_S = 60;

/**
 * OpenSSH's client. BatchMode: never a password prompt; the key is named on
 * the command line and stays on this machine. The commands to one host share
 * one connection (ssh's ControlMaster), which stays a minute after the last:
 * a run's polls, copies and fetches log in once, not once each, which a
 * cluster's login node (MaxStartups, fail2ban) and the user's wait both feel.
 * WARREN_SSH_SHARE=0 gives each command a connection of its own.
 */
export class SshSite implements Site {
  readonly description: string;

  constructor(private readonly options: SshOptions) {
    checkHost(options.host);
    if (options.user) checkUser(options.user);
    this.description = `${options.user ? options.user + '@' : ''}${options.host}:${options.port ?? 22}`;
  }

  private common(): string[] {
    const o = this.options;
    const args = [
      '-F',
      '/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      `ConnectTimeout=${o.connectTimeoutS ?? 5}`,
      '-o',
      'ServerAliveInterval=5',
      '-o',
      'ServerAliveCountMax=2'
    ];
    if (o.keyPath) args.push('-o', 'IdentitiesOnly=yes', '-i', o.keyPath);
    if (o.knownHostsPath)
      args.push(
        '-o',
        `UserKnownHostsFile=${optionValue(o.knownHostsPath)}`,
        '-o',
        'StrictHostKeyChecking=accept-new'
      );
    const shared = this.sharedConnection();
    if (shared)
      args.push(
        '-o',
        'ControlMaster=auto',
        '-o',
        `ControlPath=${optionValue(shared)}`,
        '-o',
        `ControlPersist=${SHARED_CONNECTION_S}`
      );
    return args;
  }

  /**
   * The socket of this host's shared connection: one per user, host, port,
   * key and known_hosts file (a profile with another key logs in with its
   * own), in the user's private runtime folder. Null where sharing is off,
   * or the folder is no private one, or the path would be too long for a
   * socket (ssh adds 17 characters while it makes it).
   */
  private sharedConnection(): string | null {
    if (process.env.WARREN_SSH_SHARE === '0') return null;
    const o = this.options;
    try {
      const folder = privateFolder(userRuntimeFolder(), "the folder of warren's ssh connections");
      const key = JSON.stringify([
        o.user ?? '',
        o.host,
        o.port ?? 22,
        o.keyPath ?? '',
        o.knownHostsPath ?? ''
      ]);
      const path = join(
        folder,
        `ssh-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`
      );
      return Buffer.byteLength(path) <= 90 ? path : null;
    } catch {
      return null;
    }
  }

  private target(): string {
    return `${this.options.user ? this.options.user + '@' : ''}${this.options.host}`;
  }

  async exec(
    argv: string[],
    options: { input?: string; timeoutMs?: number } = {}
  ): Promise<ExecResult> {
    const env = Object.entries(this.options.env ?? {}).filter(([k]) => /^[A-Za-z_]\w*$/.test(k));
    const prefix = env.length ? ['env', ...env.map(([k, v]) => `${k}=${v}`)] : [];
    const args = [
      ...this.common(),
      '-p',
      String(this.options.port ?? 22),
      '--',
      this.target(),
      // A remote 255 (sbatch's own refusal exits 255) comes back as 254: 255 is
      // ssh's alone. The command reaches sh as arguments ("$@"), whatever the login shell.
      ['sh', '-c', REMOTE_WRAPPER, 'sh', ...prefix, ...argv].map(shQuote).join(' ')
    ];
    const r = Private.quiet(
      await spawnCollect('ssh', args, options.input, options.timeoutMs ?? 60000)
    );
    // ssh's own failures exit 255 (a connection lost, a host that does not answer): worth another try.
    // A command stopped for its flood of output is an answer, not a lost connection.
    if (r.code === 255 || (r.code === null && !r.flooded))
      throw new SiteError(`ssh ${this.description}: ${r.stderr.trim() || 'connection failed'}`);
    return r;
  }

  async put(local: string[], remoteDir: string): Promise<void> {
    if (local.length === 0) return;
    await this.scp('to', [...local.map(localPath), `${this.target()}:${remotePath(remoteDir)}/`]);
  }

  async get(remote: string, local: string): Promise<void> {
    mkdirSync(dirname(local), { recursive: true });
    // A folder copied onto one that exists (a second fetch) would land inside
    // it (out/out): under the same name, it goes to the parent instead.
    const to =
      posix.basename(remote) === basename(local)
        ? `${dirname(localPath(local))}/`
        : localPath(local);
    await this.scp('from', [`${this.target()}:${remotePath(remote)}`, to]);
  }

  /**
   * Copies recursively, keeping times and modes: `paths` ends with the
   * destination. `-s` (the SFTP protocol) hands remote paths to the server
   * as they are, never to a remote shell; `--` ends the options.
   */
  private async scp(direction: 'to' | 'from', paths: string[]): Promise<void> {
    const args = [
      ...this.common(),
      '-P',
      String(this.options.port ?? 22),
      '-s',
      '-r',
      '-p',
      '--',
      ...paths
    ];
    const r = Private.quiet(await spawnCollect('scp', args, undefined, 600000));
    if (r.code === 0) return;
    const text = `scp ${direction} ${this.description}: ${r.stderr.trim() || `exit ${r.code}`}`;
    // scp exits 1 for what the far side refused (no such folder, a full
    // disk, a quota) and 255 for ssh's own failures, but also for a local
    // file it cannot read: trying again would copy everything again, and
    // fail the same way, for ever.
    if (r.code === 1 || (r.code === 255 && /^scp: (stat )?local /m.test(r.stderr)))
      throw new Error(text);
    throw new SiteError(text);
  }
}

const REMOTE_WRAPPER = '"$@"; s=$?; [ $s -eq 255 ] && s=254; exit $s';

/** A local scp operand: absolute, so that a ':' in a file name never makes it a host. */
function localPath(p: string): string {
  return resolve(p);
}

/** A remote scp path: never empty or an option, and no newline (scp cannot carry one). */
function remotePath(p: string): string {
  if (!p || p.startsWith('-') || /[\n\r\0]/.test(p))
    throw new Error(`not a remote path scp can take: ${JSON.stringify(p)}`);
  return p;
}

namespace Private {
  /**
   * ssh's notes that a shared connection refused another session (a host's
   * MaxSessions), so that the command made one of its own: the command ran
   * all the same, and its errors are its own.
   */
  const SHARING_NOTE =
    /^(mux_client_\w+: .*|ControlSocket .* already exists, disabling multiplexing)(?:\r?\n|$)/gm;

  export function quiet(r: ExecResult): ExecResult {
    return { ...r, stderr: r.stderr.replace(SHARING_NOTE, '') };
  }
}
