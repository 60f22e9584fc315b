/**
 * The system's mount table, /proc/self/mountinfo: which mount holds a path.
 * The mounts service reads it for its volumes, the shell's completion to know
 * which folders share a volume that stopped answering.
 */
import { readFileSync } from 'node:fs';

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

/** From one read of the mount table: the mount holding a path, or null (also when the table cannot be read). */
function holdingNow(): (path: string) => MountEntry | null {
  let table: string;
  try {
    table = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return () => null;
  }
  return (path) => mountHolding(path, table);
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
 * be read). Paths are taken as written: a link is not followed.
 */
export function remoteMountOf(): (path: string) => string | null {
  const holding = holdingNow();
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

/** From one read of the mount table: whether a path lies on a network FUSE volume (links not followed). */
export function onNetworkFuse(): (path: string) => boolean {
  const holding = holdingNow();
  return (path) => NETWORK_FUSE.test(holding(path)?.fsType ?? '');
}
