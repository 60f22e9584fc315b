import {
  formatMounts,
  formatPending,
  MountManager,
  MOUNT_USAGE,
  parseMount,
  parseUnmount,
  toolEnvironment
} from '../services/mounts';

export const MOUNTS_USAGE = `  warren mount SOURCE MOUNTPOINT [--ro] [--auto] [--rclone|--sshfs|--bind|--nfs] [...]  (warren mount --help)
  warren mount --restore | warren unmount MOUNTPOINT [--forget] | warren mounts [--json] [--check]
  warren toolbox add NAME ROOT [--bin DIR ...] [--env NAME=VALUE ...] | toolbox accept NAME | toolbox remove NAME | toolbox env`;

const TOOLBOX_USAGE = `usage:
  warren toolbox add NAME ROOT [--bin DIR ...] [--env NAME=VALUE ...]
  warren toolbox accept NAME  put a toolbox a mounted volume brought into effect
  warren toolbox remove NAME  (or decline one a volume brought)
  warren toolbox list
  warren toolbox env        shell lines for eval "$(warren toolbox env)"`;

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

/** `warren mount`, `warren unmount`, `warren mounts`, `warren toolbox`. */
export async function mountsCommand(command: string, args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    out(command === 'toolbox' ? TOOLBOX_USAGE : MOUNT_USAGE);
    return 0;
  }
  const mounts = new MountManager();
  try {
    switch (command) {
      case 'mount': {
        const c = parseMount(args, process.cwd());
        if (c.action === 'list')
          out(
            formatMounts(await mounts.list(), await mounts.toolboxes(), mounts.pendingToolboxes())
          );
        else if (c.action === 'restore') {
          let failed = 0;
          for (const r of await mounts.restore()) {
            if (!r.ok) failed++;
            (r.ok ? process.stdout : process.stderr).write(`${r.mountpoint}: ${r.message}\n`);
          }
          return failed ? 1 : 0;
        } else {
          const s = await mounts.mount(c.spec, { save: c.save });
          out(
            `mounted ${s.source} on ${s.mountpoint} (${s.kind}${s.readOnly ? ', read-only' : ''})`
          );
          const brought = mounts.pendingToolboxes().filter((t) => t.volume === s.mountpoint);
          if (brought.length) out(formatPending(brought).join('\n'));
        }
        return 0;
      }
      case 'unmount':
      case 'umount': {
        const { mountpoint, forget } = parseUnmount(args, process.cwd());
        await mounts.unmount(mountpoint, { forget });
        out(`unmounted ${mountpoint}${forget ? ' (definition removed)' : ''}`);
        return 0;
      }
      case 'mounts': {
        if (args.includes('--check')) await mounts.check();
        const list = await mounts.list();
        if (args.includes('--json'))
          out(
            JSON.stringify(
              {
                mounts: list,
                toolboxes: await mounts.toolboxes(),
                pending: mounts.pendingToolboxes()
              },
              null,
              2
            )
          );
        else out(formatMounts(list, await mounts.toolboxes(), mounts.pendingToolboxes()));
        return list.some((m) => m.state === 'stale' || m.state === 'error') ? 1 : 0;
      }
      case 'toolbox':
        return await toolbox(mounts, args);
      default:
        return 2;
    }
  } catch (error) {
    process.stderr.write(
      `warren ${command}: ${error instanceof Error ? error.message : String(error)}\n`
    );
    return 1;
  } finally {
    mounts.dispose();
  }
}

/** What keeps a toolbox just put into effect from working, on stderr. */
function warnToolbox(t: { name: string; warnings: string[] }): void {
  for (const w of t.warnings) process.stderr.write(`warning: toolbox ${t.name}: ${w}\n`);
}

async function toolbox(mounts: MountManager, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add': {
      const positional: string[] = [];
      const bin: string[] = [];
      const env: Record<string, string> = {};
      for (let i = 0; i < rest.length; i++) {
        if (rest[i] === '--bin') bin.push(rest[++i] ?? '');
        else if (rest[i] === '--env') {
          const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(rest[++i] ?? '');
          if (!m) throw new Error(`--env takes NAME=VALUE\n${TOOLBOX_USAGE}`);
          env[m[1]] = m[2];
        } else positional.push(rest[i]);
      }
      if (positional.length !== 2) throw new Error(TOOLBOX_USAGE);
      const root = positional[1].startsWith('/')
        ? positional[1]
        : `${process.cwd()}/${positional[1]}`;
      const t = await mounts.addToolbox({
        name: positional[0],
        root,
        bin: bin.filter(Boolean),
        env
      });
      out(
        `toolbox ${t.name}: ${t.commands} command(s) in ${t.bin.join(', ')}` +
          (t.repair.fixed.length ? `; exec bits restored on ${t.repair.fixed.length}` : '') +
          (t.repair.failed.length
            ? `; ${t.repair.failed.length} could not be made executable`
            : '') +
          (t.manifest ? `; recorded in ${t.manifest}` : '')
      );
      warnToolbox(t);
      return 0;
    }
    case 'accept': {
      if (!rest[0]) throw new Error(TOOLBOX_USAGE);
      const t = await mounts.acceptToolbox(rest[0]);
      out(
        `toolbox ${t.name} accepted: ${t.commands} command(s) in ${t.bin.join(', ')}` +
          (t.repair.fixed.length ? `; exec bits restored on ${t.repair.fixed.length}` : '')
      );
      warnToolbox(t);
      return 0;
    }
    case 'remove':
      if (!rest[0]) throw new Error(TOOLBOX_USAGE);
      await mounts.removeToolbox(rest[0]);
      out(`toolbox ${rest[0]} removed`);
      return 0;
    case 'list':
    case undefined:
      out(
        formatMounts([], await mounts.toolboxes(), mounts.pendingToolboxes()).replace(
          /^no mounts\n\n?/,
          ''
        ) || 'no toolboxes'
      );
      return 0;
    case 'env': {
      const env = toolEnvironment(mounts.store.read().toolboxes, process.env);
      const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
      for (const [k, v] of Object.entries(env)) out(`export ${k}=${quote(v)}`);
      return 0;
    }
    default:
      throw new Error(TOOLBOX_USAGE);
  }
}
