#!/usr/bin/env node
import { join } from 'node:path';
import type { KernelSpecTarget } from './install';

// Each command loads only its own modules: the supervisor, which stays up as
// long as its kernel, holds nothing of the others' (the mounts service, install).
const usage = async () => `usage:
  warren kernel -f CONNECTION_FILE [--language typescript|javascript]
  warren install [--user | --sys-prefix | --prefix P]
  warren uninstall [--user | --sys-prefix | --prefix P]
  warren run NOTEBOOK.ipynb [-o OUT.ipynb] [-p name=value ...] [--timeout S] [--kernel NAME]
  warren submit NOTEBOOK.ipynb --profile NAME [-p name=value ...] [--input F ...] [--output F ...] [--wait]
  warren runs [list | status ID | cancel ID | fetch ID | tail ID | wait ID | forget ID]
  warren map COMMANDS.txt --chunk N [--profile NAME] [--retry ID]
${(await import('./mounts')).MOUNTS_USAGE}`;

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

function target(args: string[]): KernelSpecTarget {
  return {
    user: args.includes('--user'),
    sysPrefix: args.includes('--sys-prefix'),
    prefix: option(args, '--prefix')
  };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'kernel':
    case 'kernel-process': {
      // Typed by hand: the supervisor (what a kernelspec launches itself)
      // runs the kernel process, which it restarts should V8 die. Without
      // it (not built), or with WARREN_NO_SUPERVISOR=1, one process.
      if (command === 'kernel' && !process.env.WARREN_NO_SUPERVISOR) {
        const supervised = (await import('../supervisor')).superviseByHand(__filename, args);
        if (supervised) return supervised;
        process.stderr.write(
          'warren kernel: the supervisor was not built (npm run build:kernel needs a C compiler); the kernel runs without it\n'
        );
      }
      const file = option(args, '-f') ?? option(args, '--connection-file');
      if (!file) {
        process.stderr.write(`warren kernel: -f CONNECTION_FILE is required\n${await usage()}\n`);
        return 2;
      }
      // malloc has read the supervisor's threshold; the user's commands get their own environment.
      (await import('../malloc')).forgetFixedMmapThreshold();
      (await import('../binary-pages')).forgetEagerBinding();
      const language = option(args, '--language') === 'javascript' ? 'javascript' : 'typescript';
      // The TypeScript compiler's process starts before the kernel's modules
      // load; the panels' services kernel runs no cells and starts none.
      if (!(await import('../paths')).isServicesSession()) {
        const { Compiler, compilerEntry } = await import('../engines/typescript/compiler');
        // Under way before the modules load (a few ms; never more than 100).
        await Promise.race([
          Compiler.launchEarly(compilerEntry(), language === 'typescript' ? process.cwd() : null),
          new Promise((resolve) => setTimeout(resolve, 100).unref())
        ]);
      }
      const { startKernel } = await import('../main');
      await startKernel(file, language);
      return -1;
    }
    case 'install': {
      const { install } = await import('./install');
      const folders = install(target(args), join(__dirname, '..', 'spec'), __filename);
      for (const f of folders) process.stdout.write(`installed ${f}\n`);
      return 0;
    }
    case 'uninstall': {
      const folders = (await import('./install')).uninstall(target(args));
      for (const f of folders) process.stdout.write(`removed kernelspec ${f}\n`);
      if (folders.length === 0) process.stdout.write('no warren kernelspec found\n');
      return 0;
    }
    case 'run':
      return (await import('./run')).runCommand(args);
    case 'submit':
    case 'runs':
    case 'map':
      return (await import('./cluster')).clusterCommand(command, args);
    case 'mount':
    case 'unmount':
    case 'umount':
    case 'mounts':
    case 'toolbox':
      return (await import('./mounts')).mountsCommand(command, args);
    default:
      process.stderr.write(`${await usage()}\n`);
      return command === undefined || command === '--help' || command === '-h' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`warren: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
);
