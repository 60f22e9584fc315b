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

/** The deepest mount holding this path. */
export function mountHolding(
  path: string,
  text = readFileSync('/proc/self/mountinfo', 'utf8')
): MountEntry | null {
  let best: MountEntry | null = null;
  for (const e of parseMountinfo(text)) {
    const inside =
      path === e.mountpoint || path.startsWith(e.mountpoint === '/' ? '/' : e.mountpoint + '/');
    if (inside && (!best || e.mountpoint.length >= best.mountpoint.length)) best = e;
  }
  return best;
}

/**
 * From one read of the mount table (`table`: given in tests): the mount
 * holding a path, or null (also when the table cannot be read). Links are
 * followed (a toolbox kept as `~/tools`, a link into a Drive mount, is on
 * the Drive), but never into a volume of a type `mayHang` matches: the
 * first part of the path found on one decides, unread, since reading it
 * may wait for good.
 */
function holdingNow(mayHang: RegExp, table?: string): (path: string) => MountEntry | null {
  if (table === undefined) {
    try {
      table = readFileSync('/proc/self/mountinfo', 'utf8');
    } catch {
      return () => null;
    }
  }
  const text = table;
  const seen = new Map<string, MountEntry | null>();
  return (path) => {
    let answer = seen.get(path);
    if (answer === undefined) {
      answer = mountHolding(
        followLinks(path, (p) => mayHang.test(mountHolding(p, text)?.fsType ?? '')),
        text
      );
      seen.set(path, answer);
    }
    return answer;
  };
}

/** The mount a path leads to: mountHolding's, with links followed up to a network or FUSE volume. */
export function mountReached(path: string): MountEntry | null {
  return holdingNow(REMOTE)(path);
}

/**
 * `path` with the links in it followed, part by part (as the system would),
 * until a part lies on a volume that `remote` says may hang: from there on,
 * the path is taken as written. A part that cannot be read (missing, no
 * access, too many links) ends the walk the same way.
 */
export function followLinks(path: string, remote: (path: string) => boolean): string {
  if (!isAbsolute(path)) return path;
  const parts = (p: string) => p.split('/').filter((part) => part && part !== '.');
  let rest = parts(path);
  let done = '/';
  for (let links = 0; rest.length > 0;) {
    if (remote(done)) break;
    const [part, ...after] = rest;
    // `done` holds no link: its parent is its parent on the disk too.
    if (part === '..') {
      done = dirname(done);
      rest = after;
      continue;
    }
    const next = join(done, part);
    if (remote(next)) return join(next, ...after);
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
  return join(done, ...rest);
}

/**
 * File systems whose folders may stop answering for good: network and FUSE
 * volumes (sshfs, rclone, NFS, SMB...).
 */
const REMOTE =
  /^(fuse(\..*)?|fuseblk|nfs4?|cifs|smb3|9p|ceph|glusterfs|afs|lustre|gpfs|beegfs|sshfs)$/;

/**
 * From one read of the mount table: for a path, the id of the network or
 * FUSE mount holding it, or null when a local one does (or the table cannot
 * be read). Links are followed up to the first part on such a volume.
 */
export function remoteMountOf(table?: string): (path: string) => string | null {
  const holding = holdingNow(REMOTE, table);
  return (path) => {
    const mount = holding(path);
    return mount && REMOTE.test(mount.fsType) ? mount.id : null;
  };
}

/**
 * Volumes of the kind warren mounts, whose daemon a lost connection or a
 * stopped process leaves hanging: network FUSE file systems (sshfs, rclone
 * and their kin), not a cluster's NFS home or a container's overlay root.
 */
const NETWORK_FUSE =
  /^fuse\.(sshfs|rclone|s3fs|gcsfuse|goofys|davfs2?|blobfuse2?|juicefs|mount-s3|google-drive-ocamlfuse|gdrivefs|curlftpfs|smbnetfs)$/;

/**
 * From one read of the mount table: whether a path lies on a network FUSE
 * volume; links are followed up to the first part on one (a cluster's NFS
 * home, read by everything anyway, is read for its links).
 */
export function onNetworkFuse(table?: string): (path: string) => boolean {
  const holding = holdingNow(NETWORK_FUSE, table);
  return (path) => NETWORK_FUSE.test(holding(path)?.fsType ?? '');
}
