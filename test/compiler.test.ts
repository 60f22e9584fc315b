import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Compiler } from '../kernel/engines/typescript/compiler';
import { launchWarren } from './harness';

const BUILT = join(__dirname, '..', 'lib', 'kernel', 'engines', 'typescript');
const setup = {
  isJS: false,
  cwd: join(__dirname, '..'),
  globals: 'declare const display: (value: unknown) => void;\n',
  committed: [{ declarations: 'declare const kept: number;', notRun: [] }]
};

/** The command line of each living child of this process. */
function childCommands(): string[] {
  const out: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue;
      out.push(readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim());
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('the compiler process', () => {
  test('starts from the snapshot the build made, with what earlier cells declared, whatever NODE_OPTIONS says', async () => {
    // Tuning for the user's own cells: a V8 flag the snapshot was not built with.
    const before = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = '--max-semi-space-size=64';
    let compiler: Compiler;
    try {
      compiler = new Compiler(join(BUILT, 'compiler-process.js'), setup);
    } finally {
      if (before === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = before;
    }
    try {
      const converted = await compiler.convert('kept.toFixed(1)');
      expect(converted.diagnostics).toEqual([]);
      expect(converted.output).toContain('exports.kept.toFixed(1)');
      expect(
        childCommands().some((c) => c.includes(`--snapshot-blob ${join(BUILT, 'compiler.blob')}`))
      ).toBe(true);
    } finally {
      await compiler.dispose();
    }
  });

  test('a snapshot this Node cannot load is passed over: the plain script answers the same', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'warren-blob-'));
    try {
      for (const file of ['compiler-process.js', 'converter.js', 'declarations.js', 'cells.js'])
        symlinkSync(join(BUILT, file), join(folder, file));
      writeFileSync(join(folder, 'compiler.blob'), 'not a snapshot');
      const compiler = new Compiler(join(folder, 'compiler-process.js'), setup);
      try {
        const converted = await compiler.convert('kept.toUpperCase()');
        expect(converted.diagnostics[0].message).toMatch(
          /toUpperCase.*does not exist on type 'number'/
        );
        expect(
          childCommands().some((c) => c.endsWith(`${join(folder, 'compiler-process.js')}`))
        ).toBe(true);
      } finally {
        await compiler.dispose();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

/** Command lines of every living process below `root`. */
function treeCommands(root: number): string[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const below = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p))
      if (p === root) return true;
    return false;
  };
  return [...parents.keys()].filter(below).flatMap((pid) => {
    try {
      return [readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()];
    } catch {
      return [];
    }
  });
}

describe("the panels' services kernel", () => {
  test('starts no compiler until a cell needs one; a notebook kernel starts it at once', async () => {
    const compilers = (pid: number | undefined) =>
      treeCommands(pid!).filter((c) => c.includes('compiler')).length;
    const services = await launchWarren({
      env: { JPY_SESSION_NAME: join(tmpdir(), 'lab', '.warren', 'warren services') }
    });
    const notebook = await launchWarren({
      env: { JPY_SESSION_NAME: join(tmpdir(), 'lab', 'analysis.ipynb') }
    });
    try {
      // Both answer shell cells; only the notebook's kernel has a compiler.
      await services.execute('!true');
      await notebook.execute('!true');
      expect(compilers(notebook.pid)).toBe(1);
      expect(compilers(services.pid)).toBe(0);
      // A typed cell in the services kernel still works: its compiler starts then.
      const typed = await services.execute('const n: number = 41; n + 1', {}, 60_000);
      expect(typed.reply.content.status).toBe('ok');
      expect(compilers(services.pid)).toBe(1);
    } finally {
      await services.shutdown();
      await notebook.shutdown();
    }
  }, 120_000);
});

describe('a compiler left idle', () => {
  test('goes, and the next typed cell brings one back that knows every declaration', async () => {
    const compilers = (pid: number | undefined) =>
      treeCommands(pid!).filter((c) => c.includes('compiler')).length;
    const k = await launchWarren({ env: { WARREN_COMPILER_IDLE_S: '1' } });
    try {
      await k.execute('const kept: number = 41;');
      expect(compilers(k.pid)).toBe(1);
      const deadline = Date.now() + 10_000;
      while (compilers(k.pid) > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      expect(compilers(k.pid)).toBe(0);
      const after = await k.execute('kept.toFixed(0) + "!"', {}, 60_000);
      expect(after.reply.content.status).toBe('ok');
      const value = after.iopub.find((m) => m.header.msg_type === 'execute_result');
      expect((value?.content.data as Record<string, string>)['text/plain']).toBe("'41!'");
      const typed = await k.execute('kept.toUpperCase()', { stop_on_error: false });
      expect(typed.reply.content).toMatchObject({ status: 'error', ename: 'TSError' });
    } finally {
      await k.shutdown();
    }
  }, 120_000);
});
