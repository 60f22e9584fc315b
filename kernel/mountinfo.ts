/**
 * The system's mount table, /proc/self/mountinfo: which mount holds a path.
 * The mounts service reads it for its volumes, the shell's completion to know
 * which folders share a volume that stopped answering.
 */
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';

export interface MountEntry {
  /** The kernel's id of this mount: a remount on the same path has another. */
  id: string;
  mountpoint: string;
  fsType: string;
  source: string;
  options: string;
}

/** `\040` and friends: mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses /proc/self/mountinfo text (the optional fields end at the ` - ` separator). */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    if (left.length < 6 || right.length < 2) continue;
    out.push({
      id: left[0],
      mountpoint: unescape(left[4]),
      options: left[5],
      fsType: right[0],
      source: unescape(right[1])
    });
  }
  return out;
}

/** The entry mounted last on exactly this path, or null. */
export function mountAt(
  path: string,
  text = readFileSync('/proc/self/mountinfo', 'utf8')
): MountEntry | null {
  const entries = parseMountinfo(text).filter((e) => e.mountpoint === path);
  return entries.length ? entries[entries.length - 1] : null;
}

/**
 * File systems whose folders may stop answering for good: network and FUSE
 * volumes (sshfs, rclone, NFS, SMB...), and autofs, whose first look mounts
 * one.
 */
const REMOTE =
  /^(fuse(\..*)?|fuseblk|nfs4?|cifs|smb3|9p|ceph|glusterfs|afs|lustre|gpfs|beegfs|sshfs|autofs)$/;

/**
 * Volumes of the kind warren mounts, whose daemon a lost connection or a
 * stopped process leaves hanging: network FUSE file systems (sshfs, rclone
 * and their kin), not a cluster's NFS home or a container's overlay root.
 */
const NETWORK_FUSE =
  /^fuse\.(sshfs|rclone|s3fs|gcsfuse|goofys|davfs2?|blobfuse2?|juicefs|mount-s3|google-drive-ocamlfuse|gdrivefs|curlftpfs|smbnetfs)$/;

/**
 * One read of the mount table (`text`: given in tests; an unreadable table
 * holds nothing): the mount a path leads to, links followed.
 */
class MountTable {
  private readonly entries: MountEntry[];

  constructor(text?: string) {
    if (text === undefined) {
      try {
        text = readFileSync('/proc/self/mountinfo', 'utf8');
      } catch {
        text = '';
      }
    }
    this.entries = parseMountinfo(text);
  }

  /** The deepest mount holding `path` as written. */
  holding(path: string): MountEntry | null {
    let best: MountEntry | null = null;
    for (const e of this.entries) {
      const inside =
        path === e.mountpoint || path.startsWith(e.mountpoint === '/' ? '/' : e.mountpoint + '/');
      if (inside && (!best || e.mountpoint.length >= best.mountpoint.length)) best = e;
    }
    return best;
  }

  /**
   * Where `path` leads: its links followed (a toolbox kept as `~/tools`, a
   * link into a Drive mount, is on the Drive), but never read on a volume of
   * a type `stopAt` matches, nor where `also` says: from there on, the path
   * is as written.
   */
  follow(path: string, stopAt: RegExp, also: (path: string) => boolean = () => false): string {
    return followLinks(path, (p) => also(p) || stopAt.test(this.holding(p)?.fsType ?? ''));
  }

  /** The mount `path` leads to (see `follow`). */
  reached(path: string, stopAt: RegExp): MountEntry | null {
    return this.holding(this.follow(path, stopAt));
  }
}

/**
 * `path` with the links in it followed, part by part (as the system would),
 * until a part lies where `stop` says reading may wait for good: from there
 * on, the path is as written (`..` included: resolving it needs the volume).
 * A part that cannot be read (missing, no access, too many links) ends the
 * walk the same way.
 */
export function followLinks(path: string, stop: (path: string) => boolean): string {
  if (!isAbsolute(path)) return path;
  const parts = (p: string) => p.split('/').filter((part) => part && part !== '.');
  const asWritten = (from: string, rest: string[]) =>
    rest.length === 0 ? from : `${from === '/' ? '' : from}/${rest.join('/')}`;
  let rest = parts(path);
  let done = '/';
  for (let links = 0; rest.length > 0;) {
    if (stop(done)) break;
    const [part, ...after] = rest;
    // `done` holds no link: its parent is its parent on the disk too.
    if (part === '..') {
      done = dirname(done);
      rest = after;
      continue;
    }
    const next = join(done, part);
    if (stop(next)) return asWritten(next, after);
    let target: string;
    try {
      if (!lstatSync(next).isSymbolicLink()) {
        done = next;
        rest = after;
        continue;
      }
      target = readlinkSync(next);
    } catch {
      break;
    }
    if (++links > 40) break;
    // The link's target in its place: from the root, or from the link's folder.
    if (isAbsolute(target)) done = '/';
    rest = [...parts(target), ...after];
  }
  return asWritten(done, rest);
}

/**
 * From one read of the mount table: for a path, the id of the network or
 * FUSE mount it leads to, or null when a local one holds it (or the table
 * cannot be read). Links are followed up to the first part on such a volume.
 */
export function remoteMountOf(table?: string): (path: string) => string | null {
  const mounts = new MountTable(table);
  const seen = new Map<string, string | null>();
  return (path) => {
    let id = seen.get(path);
    if (id === undefined) {
      const mount = mounts.reached(path, REMOTE);
      id = mount && REMOTE.test(mount.fsType) ? mount.id : null;
      seen.set(path, id);
    }
    return id;
  };
}

/** The mount a path leads to, links followed up to a network or FUSE volume. */
export function mountReached(path: string): MountEntry | null {
  return new MountTable().reached(path, REMOTE);
}

/**
 * From one read of the mount table: whether a path leads to a network FUSE
 * volume, or (`also`, which holds for every path below one it holds for)
 * somewhere else not to be read. Links are followed up to the first part on
 * one (a cluster's NFS home, read by everything anyway, is read for its links).
 */
export function onNetworkFuse(
  table?: string,
  also: (path: string) => boolean = () => false
): (path: string) => boolean {
  const mounts = new MountTable(table);
  return (path) => {
    // A walk stopped by `also` ends in a path that `also` still says of.
    const end = mounts.follow(path, NETWORK_FUSE, also);
    return also(end) || NETWORK_FUSE.test(mounts.holding(end)?.fsType ?? '');
  };
}
