import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import type { Server } from 'node:net';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { Compiler } from '../kernel/engines/typescript/compiler';
import {
  COMPILER_CODE,
  compilersIn,
  openCompiler,
  socketPath
} from '../kernel/engines/typescript/compiler-socket';
import { launchWarren, result, text } from './harness';

const BUILT = join(__dirname, '..', 'lib', 'kernel', 'engines', 'typescript');
const setup = {
  isJS: false,
  cwd: join(__dirname, '..'),
  globals: 'declare const display: (value: unknown) => void;\n',
  committed: [{ declarations: 'declare const kept: number;', notRun: [] }]
};

/** The fields of a /proc `stat` text after the command's name: [0] its state, [1] its parent. */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The command line of each living child of this process. */
function childCommands(): string[] {
  const out: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(statFields(stat)[1]) !== process.pid) continue;
      out.push(readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim());
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** A process's parent, start (in clock ticks since boot) and environment. */
function processOf(pid: number): { parent: number; started: number; env: string[] } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = statFields(stat);
  return {
    parent: Number(fields[1]),
    started: Number(fields[19]),
    env: readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
  };
}

/**
 * The pages a process maps of its binary, in kB (smaps' Rss): all of them, or
 * with `firstSegment` those of its first segment only (at offset 0: its
 * dynamic symbol tables, what the linker searches to bind a symbol).
 */
function binaryKB(pid: number, firstSegment = false): number {
  const exe = realpathSync(`/proc/${pid}/exe`);
  let counted = false;
  let kB = 0;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ ([0-9a-f]+) \S+ \S+\s*(.*)$/.exec(line);
    if (head) counted = head[2] === exe && (!firstSegment || Number.parseInt(head[1], 16) === 0);
    else if (counted && line.startsWith('Rss:')) kB += Number(line.split(/\s+/)[1]);
  }
  return kB;
}

/** What the compilers serving `folder` wrote to their logs. */
function compilerLog(folder: string): string {
  return readdirSync(folder)
    .filter((f) => f.endsWith('.log'))
    .map((f) => readFileSync(join(folder, f), 'utf8'))
    .join('');
}

/** The kernel process the supervisor `pid` runs. */
function kernelProcessOf(pid: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (
        processOf(Number(entry)).parent === pid &&
        readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('kernel-process')
      )
        return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no kernel process below ${pid}`);
}

const fresh = () => mkdtempSync(join(tmpdir(), 'warren-compilers-'));

beforeAll(() => {
  // This file's own compilers, gone a second after their last kernel.
  process.env.WARREN_COMPILER_DIR = fresh();
  process.env.WARREN_COMPILER_LINGER_S = '1';
});

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

  test('a cell costs one write each way on its socket: the commit goes with the next request, the declarations with the next answer', async () => {
    const entry = join(BUILT, 'compiler-process.js');
    const saved = process.env.WARREN_COMPILER_DIR;
    // A compiler of its own folder, and a tap where kernels of another folder
    // look for theirs: it passes each write on whole and notes it.
    process.env.WARREN_COMPILER_DIR = fresh();
    const starter = new Compiler(entry, setup);
    const writes: { to: 'compiler' | 'kernel'; messages: Record<string, unknown>[] }[] = [];
    const note = (to: 'compiler' | 'kernel', data: Buffer) =>
      writes.push({
        to,
        messages: data
          .toString()
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Record<string, unknown>)
      });
    let tap: Server | null = null;
    let compiler: Compiler | null = null;
    try {
      await starter.ready;
      const real = socketPath(entry);
      tap = createServer((kernel) => {
        const other = connect(real);
        kernel.on('data', (d: Buffer) => (note('compiler', d), other.write(d)));
        other.on('data', (d: Buffer) => (note('kernel', d), kernel.write(d)));
        kernel.on('close', () => other.end());
        other.on('close', () => kernel.end());
      });
      process.env.WARREN_COMPILER_DIR = fresh();
      const tapped = socketPath(entry);
      await new Promise<void>((resolve) => tap!.listen(tapped, resolve));
      compiler = new Compiler(entry, setup);
      await compiler.ready;
      const first = await compiler.convert('const rate: number = 2; rate');
      expect(first.declarationsFollow).toBe(true);
      compiler.commit(null, []);
      const second = await compiler.convert('rate.toFixed(1)');
      expect(second.output).toBeDefined();
      const ops = (w: (typeof writes)[number]) => w.messages.map((m) => m.op ?? Object.keys(m)[0]);
      // The commit went with the next convert, before it; nothing answered it.
      expect(writes.filter((w) => w.to === 'compiler').map(ops)).toEqual([
        ['isJS'],
        ['convert'],
        ['commit', 'convert']
      ]);
      // The first cell's declarations went with the second cell's answer.
      const toKernel = writes.filter((w) => w.to === 'kernel');
      expect(toKernel).toHaveLength(3);
      expect(toKernel[2].messages).toHaveLength(2);
      expect(toKernel[2].messages[0].declarations).toMatch(/rate: number/);
      expect(toKernel[2].messages[1]).toMatchObject({ ok: true });
      expect(await first.declarationsLater).toMatch(/rate: number/);
      // With no answer to go with, they go on their own a moment later.
      const third = await compiler.convert('const speed: number = rate * 2;');
      expect(await third.declarationsLater).toMatch(/speed: number/);
      expect(writes[writes.length - 1].messages).toEqual([
        { id: expect.any(Number), declarations: expect.stringMatching(/speed: number/) }
      ]);
    } finally {
      process.env.WARREN_COMPILER_DIR = saved;
      await compiler?.dispose();
      await starter.dispose();
      tap?.close();
    }
  });

  test("gives Node's copy of its snapshot back before it serves, holding 20 MB less than one that keeps it, and converts all the same", async () => {
    /** A compiler started in a folder of its own: its pid, its log and its RssAnon after a cell. */
    const started = async (env: NodeJS.ProcessEnv) => {
      const folder = fresh();
      const saved = { ...process.env };
      Object.assign(process.env, { WARREN_COMPILER_DIR: folder, ...env });
      const compiler = new Compiler(join(BUILT, 'compiler-process.js'), setup);
      // It starts its process for the first cell.
      const again = await compiler
        .convert('kept.toUpperCase()')
        .finally(() => (process.env = saved));
      expect(again.diagnostics[0].message).toMatch(/toUpperCase.*does not exist on type 'number'/);
      const [pid] = compilersIn(folder);
      const anon = Number(/RssAnon:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
      return { compiler, anon: anon * 1024, log: compilerLog(folder) };
    };
    const keeping = await started({ WARREN_KEEP_SNAPSHOT_COPY: '1' });
    const giving = await started({});
    try {
      expect(keeping.log).toMatch(
        /kept Node's copy of the snapshot, as WARREN_KEEP_SNAPSHOT_COPY asks/
      );
      const gave = /gave back ([\d.]+) MB/.exec(giving.log);
      expect(gave).not.toBeNull();
      // Most of the blob is V8's part (36.5 of 41 MB here), and it left the compiler's memory.
      expect(Number(gave![1])).toBeGreaterThan(20);
      expect(keeping.anon - giving.anon).toBeGreaterThan(20 * 1024 * 1024);
    } finally {
      await keeping.compiler.dispose();
      await giving.compiler.dispose();
    }
  });

  test("asks for transparent huge pages for its snapshot's reads, holds those the system gives, and asks for no more once it serves", async () => {
    const thp = (() => {
      try {
        return /\[(\w+)\]/.exec(
          readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8')
        )![1];
      } catch {
        return 'never';
      }
    })();
    /** How many times the system could not give a huge page at a fault, since boot. */
    const fallbacks = (): number =>
      Number(/^thp_fault_fallback (\d+)$/m.exec(readFileSync('/proc/vmstat', 'utf8'))?.[1] ?? 0);
    const folder = fresh();
    const saved = { ...process.env };
    process.env.WARREN_COMPILER_DIR = folder;
    const refusedBefore = fallbacks();
    const compiler = new Compiler(join(BUILT, 'compiler-process.js'), setup);
    try {
      const converted = await compiler
        .convert('kept.toFixed(1)')
        .finally(() => (process.env = saved));
      expect(converted.diagnostics).toEqual([]);
      const refused = fallbacks() - refusedBefore;
      const [pid] = compilersIn(folder);
      // The request: malloc's heap and blocks that held the blob's reads are marked (madvise, `hg`).
      let asked = 0;
      for (const map of readFileSync(`/proc/${pid}/smaps`, 'utf8').split(/\n(?=[0-9a-f]+-)/))
        if (/^VmFlags:.* hg/m.test(map)) asked += Number(/^Size:\s+(\d+)/m.exec(map)![1]);
      expect(asked).toBeGreaterThanOrEqual(8 * 1024);
      // What the system gave: how many depends on its free memory, so only "some" where none was refused.
      const huge = Number(
        /AnonHugePages:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))![1]
      );
      if (thp === 'never') expect(huge).toBe(0);
      else if (refused === 0) expect(huge).toBeGreaterThanOrEqual(2048);
      // Past the start, a malloc block of 128 kB would be held in 2 MB pages (Linux 5.0 says so here).
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (/THP_enabled:/.test(status)) expect(status).toMatch(/THP_enabled:\s+0/);
    } finally {
      await compiler.dispose();
    }
  });

  test('says it is under way once spawned, long before it listens: what a starting kernel waits for before loading its modules', async () => {
    const before = process.env.WARREN_COMPILER_DIR;
    const folder = fresh();
    process.env.WARREN_COMPILER_DIR = folder;
    try {
      const entry = join(BUILT, 'compiler-process.js');
      let underway: { listening: boolean; compilers: number } | null = null;
      const { socket } = await openCompiler(entry, () => {
        underway ??= {
          listening: existsSync(socketPath(entry)),
          compilers: compilersIn(folder).length
        };
      });
      socket.destroy();
      expect(underway).toEqual({ listening: false, compilers: 1 });
    } finally {
      process.env.WARREN_COMPILER_DIR = before;
    }
  }, 60_000);

  test("the snapshot holds TypeScript's code minified, one byte a character (3 MB, not 8 or 16), its functions' names kept", () => {
    const blob = readFileSync(join(BUILT, 'compiler.blob'));
    const line = 'function createTypeChecker(';
    expect(blob.includes(Buffer.from(line, 'latin1'))).toBe(true);
    expect(blob.includes(Buffer.from(line, 'utf16le'))).toBe(false);
    // Its comments are gone, and so are its local names.
    expect(blob.includes(Buffer.from('N.B. The first entry specifies', 'latin1'))).toBe(false);
    expect(blob.includes(Buffer.from('function createTypeChecker(host)', 'latin1'))).toBe(false);
  });

  test("names every compiled file it runs among those its snapshot and socket follow: a change to any is a new build's compiler", () => {
    const loaded = spawnSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(join(BUILT, 'compiler-process.js'))});` +
          'console.log(JSON.stringify(Object.keys(require.cache)))'
      ],
      { encoding: 'utf8' }
    );
    const lib = join(BUILT, '..', '..', '..');
    const ours = (JSON.parse(loaded.stdout) as string[]).filter(
      (f) => f.startsWith(lib) && !f.includes('/node_modules/')
    );
    expect(ours).toContain(join(BUILT, 'converter.js'));
    const named = COMPILER_CODE.map((f) => join(BUILT, f));
    expect(ours.filter((f) => !named.includes(f))).toEqual([]);
  });

  test('a snapshot this Node cannot load is passed over: the plain script answers the same', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'warren-blob-'));
    try {
      for (const file of readdirSync(BUILT).filter((f) => f.endsWith('.js')))
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

describe("the panels' services kernel", () => {
  test('starts no compiler until a cell needs one; a notebook kernel starts it at once', async () => {
    // Compilers apart, to tell which kernel started one.
    const servicesFolder = fresh();
    const notebookFolder = fresh();
    const services = await launchWarren({
      env: {
        JPY_SESSION_NAME: join(tmpdir(), 'lab', '.warren', 'warren services'),
        WARREN_COMPILER_DIR: servicesFolder
      }
    });
    const notebook = await launchWarren({
      env: {
        JPY_SESSION_NAME: join(tmpdir(), 'lab', 'analysis.ipynb'),
        WARREN_COMPILER_DIR: notebookFolder
      }
    });
    try {
      // Both answer shell cells; only the notebook's kernel has a compiler.
      await services.execute('!true');
      await notebook.execute('!true');
      expect(compilersIn(notebookFolder)).toHaveLength(1);
      expect(compilersIn(servicesFolder)).toHaveLength(0);
      expect(processOf(kernelProcessOf(services.pid!)).env.join('\n')).not.toMatch(
        /WARREN_COMPILER_EARLY_PID/
      );
      // A typed cell in the services kernel still works: its compiler starts then.
      const typed = await services.execute('const n: number = 41; n + 1', {}, 60_000);
      expect(typed.reply.content.status).toBe('ok');
      expect(compilersIn(servicesFolder)).toHaveLength(1);
    } finally {
      await services.shutdown();
      await notebook.shutdown();
    }
  }, 120_000);
});

describe('a compiler left idle', () => {
  test('goes, and the next typed cell brings one back that knows every declaration', async () => {
    const folder = fresh();
    const compilers = () => compilersIn(folder).length;
    const k = await launchWarren({
      env: {
        WARREN_COMPILER_IDLE_S: '1',
        WARREN_COMPILER_LINGER_S: '0',
        WARREN_COMPILER_DIR: folder
      }
    });
    try {
      await k.execute('const kept: number = 41;');
      expect(compilers()).toBe(1);
      const deadline = Date.now() + 10_000;
      while (compilers() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(compilers()).toBe(0);
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

describe("a user's compiler", () => {
  test("is started by the kernel's supervisor from its snapshot before the kernel's Node, and taken by the kernel; a second notebook's supervisor finds it and starts none", async () => {
    const folder = fresh();
    const env = { WARREN_COMPILER_DIR: folder };
    const a = await launchWarren({ env });
    try {
      await a.execute('const early: number = 1;');
      const compilers = compilersIn(folder);
      expect(compilers).toHaveLength(1);
      const [compiler] = compilers;
      const kernel = processOf(kernelProcessOf(a.pid!));
      // Not the kernel's child: the supervisor's, left to run on its own.
      expect(processOf(compiler).parent).not.toBe(kernelProcessOf(a.pid!));
      expect(processOf(compiler).started).toBeLessThanOrEqual(kernel.started);
      expect(kernel.env).toContain(`WARREN_COMPILER_EARLY_PID=${compiler}`);
      // The user's commands do not inherit it.
      const shown = await a.execute('%%bash\necho "early=${WARREN_COMPILER_EARLY_PID:-none}"');
      expect(text(shown.iopub)).toContain('early=none');
      const b = await launchWarren({ env });
      try {
        await b.execute('const second: number = 2;');
        expect(compilersIn(folder)).toEqual([compiler]);
        expect(processOf(kernelProcessOf(b.pid!)).env).toContain(
          `WARREN_COMPILER_EARLY_PID=${compiler}`
        );
      } finally {
        await b.shutdown();
      }
    } finally {
      await a.shutdown();
    }
  }, 120_000);

  test('it and the kernel it serves keep less of the node binary mapped after the first typed cell than a bare Node holds once started, and almost none of its symbol tables', async () => {
    const bare = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], {
      stdio: 'ignore'
    });
    const folder = fresh();
    const k = await launchWarren({ env: { WARREN_COMPILER_DIR: folder } });
    try {
      const first = await k.execute('const mapped: number[] = [1]; mapped.length');
      expect(result(first.iopub)).toBe('1');
      const [compiler] = compilersIn(folder);
      const started = binaryKB(bare.pid!);
      // Node maps 30-40 MB of itself as it starts; both unmapped that once started.
      expect(started).toBeGreaterThan(20 * 1024);
      expect(binaryKB(kernelProcessOf(k.pid!))).toBeLessThan(0.8 * started);
      expect(binaryKB(compiler)).toBeLessThan(0.8 * started);
      // Every symbol was bound as each part loaded, before that: no first
      // call searched the tables since (2.5 MB of them stayed in the kernel).
      expect(binaryKB(bare.pid!, true)).toBeGreaterThan(1024);
      expect(binaryKB(kernelProcessOf(k.pid!), true)).toBeLessThan(512);
      expect(binaryKB(compiler, true)).toBeLessThan(512);
      // And serve on: a shell command and another cell run what the start never ran.
      expect(text((await k.execute('!echo still')).iopub)).toContain('still');
      expect(result((await k.execute('mapped.map((n) => n * 2).join()')).iopub)).toBe("'2'");
    } finally {
      bare.kill();
      await k.shutdown();
    }
  }, 120_000);

  test("a compiler the supervisor starts readies its converter in a TypeScript notebook's folder while the kernel loads; the notebook sees none of its warm-up", async () => {
    const folder = fresh();
    const notebook = mkdtempSync(join(tmpdir(), 'warren-notebook-'));
    writeFileSync(
      join(notebook, 'helper.ts'),
      'export const twice = (n: number): number => n * 2;\n'
    );
    const k = await launchWarren({ env: { WARREN_COMPILER_DIR: folder }, cwd: notebook });
    try {
      expect(result((await k.execute("import { twice } from './helper'; twice(21)")).iopub)).toBe(
        '42'
      );
      expect(compilerLog(folder)).toContain(`readied a converter for ${notebook} in `);
      // The cell it checked to warm up was never the notebook's.
      const warm = await k.execute('__warren_warm__.length');
      expect(warm.reply.content.status).toBe('error');
      expect(warm.reply.content.evalue).toMatch(/Cannot find name '__warren_warm__'/);
    } finally {
      await k.shutdown();
    }
    // A JavaScript notebook takes a converter of its own: its compiler readies none.
    const other = fresh();
    const js = await launchWarren({
      language: 'javascript',
      env: { WARREN_COMPILER_DIR: other },
      cwd: notebook
    });
    try {
      expect(result((await js.execute('[1, 2].length')).iopub)).toBe('2');
      // Its compiler started all the same (a JavaScript cell need not wait for it).
      const deadline = Date.now() + 10_000;
      while (!/Node's copy of the snapshot/.test(compilerLog(other)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(compilerLog(other)).toMatch(/Node's copy of the snapshot/);
      expect(compilerLog(other)).not.toContain('readied a converter');
    } finally {
      await js.shutdown();
      rmSync(notebook, { recursive: true, force: true });
    }
  }, 60_000);

  test('it gives back what readying its first converter mapped of its code, once, and serves on', async () => {
    const folder = fresh();
    const log = () => compilerLog(folder);
    const a = await launchWarren({ env: { WARREN_COMPILER_DIR: folder } });
    try {
      expect(result((await a.execute('const given: number[] = [1]; given.length')).iopub)).toBe(
        '1'
      );
      const said = [
        ...log().matchAll(/gave back ([\d.]+) MB of code and constants, its first converter ready/g)
      ];
      expect(said).toHaveLength(1);
      // 12-15 MB here; the cells after map all but about 3 MB of it again.
      expect(Number(said[0][1])).toBeGreaterThan(0.5);
      const b = await launchWarren({ env: { WARREN_COMPILER_DIR: folder } });
      try {
        expect(result((await b.execute('const other: string = "b"; other.length')).iopub)).toBe(
          '1'
        );
        expect(result((await a.execute('given.concat([2]).length')).iopub)).toBe('2');
      } finally {
        await b.shutdown();
      }
      // Not again for the second kernel.
      expect(log().match(/its first converter ready/g)).toHaveLength(1);
    } finally {
      await a.shutdown();
    }
  }, 120_000);

  test('the kernel, its first typed cell answered, holds of the node binary what typed cells run, not what the rest of its start ran', async () => {
    const folder = fresh();
    const k = await launchWarren({ env: { WARREN_COMPILER_DIR: folder } });
    try {
      const kernel = kernelProcessOf(k.pid!);
      expect(result((await k.execute('const held: number[] = [1]; held.length')).iopub)).toBe('1');
      const afterFirst = binaryKB(kernel);
      // Unmapped now, by a cell, then typed cells map again what they run.
      const pagesModule = join(__dirname, '..', 'lib', 'kernel', 'native', 'pages.js');
      await k.execute(`require(${JSON.stringify(pagesModule)}).pages().unmapProgram(); 0`);
      for (let i = 0; i < 3; i++)
        expect(
          result((await k.execute(`const again${i}: number[] = [${i}]; again${i}.length`)).iopub)
        ).toBe('1');
      // Answering kernel_info and taking the compiler mapped 2.4 MB more, kept until the kernel ended.
      expect(afterFirst - binaryKB(kernel)).toBeLessThan(1024);
    } finally {
      await k.shutdown();
    }
  }, 120_000);

  test("one of an earlier build, still serving, is not waited for: the next kernel's supervisor starts one of the new build", async () => {
    const folder = fresh();
    const env = { WARREN_COMPILER_DIR: folder };
    const a = await launchWarren({ env });
    try {
      await a.execute('const old: number = 1;');
      const [earlier] = compilersIn(folder);
      // A build since (what `npm run build:kernel` leaves: the compiler's code,
      // then its blob, newer), more than the second a process's start is known to.
      await new Promise((r) => setTimeout(r, 2100));
      const now = new Date();
      for (const f of COMPILER_CODE) utimesSync(join(BUILT, f), now, now);
      utimesSync(join(BUILT, 'compiler.blob'), now, now);
      const b = await launchWarren({ env });
      try {
        const typed = await b.execute('const current: number = 2; current', {}, 60_000);
        expect(result(typed.iopub)).toBe('2');
        const early = processOf(kernelProcessOf(b.pid!)).env.find((v) =>
          v.startsWith('WARREN_COMPILER_EARLY_PID=')
        );
        expect(early).toBeDefined();
        expect(early).not.toBe(`WARREN_COMPILER_EARLY_PID=${earlier}`);
        expect(compilersIn(folder).sort()).toEqual([earlier, Number(early!.split('=')[1])].sort());
        // The earlier one still serves its notebook.
        expect(result((await a.execute('old + 1')).iopub)).toBe('2');
      } finally {
        await b.shutdown();
      }
    } finally {
      await a.shutdown();
    }
  }, 120_000);

  test('one started early leaves at once when it finds another listening, and WARREN_EARLY_COMPILER=0 starts none', async () => {
    const folder = fresh();
    const a = await launchWarren({
      env: { WARREN_COMPILER_DIR: folder, WARREN_EARLY_COMPILER: '0' }
    });
    try {
      expect(processOf(kernelProcessOf(a.pid!)).env.join('\n')).not.toMatch(
        /WARREN_COMPILER_EARLY_PID/
      );
      await a.execute('const late: number = 1;');
      const [compiler] = compilersIn(folder);
      // Started by the kernel: its child.
      expect(processOf(compiler).parent).toBe(kernelProcessOf(a.pid!));
      // Another build's supervisor would not know of it; started as a supervisor starts one, it leaves.
      const early = spawnSync(
        process.execPath,
        readFileSync(join(BUILT, 'compiler.early'), 'utf8').trim().split('\n'),
        {
          env: { ...process.env, WARREN_COMPILER_DIR: folder, WARREN_COMPILER_EARLY: '1' },
          timeout: 30_000
        }
      );
      expect(early.status).toBe(0);
      expect(compilersIn(folder)).toEqual([compiler]);
    } finally {
      await a.shutdown();
    }
  }, 120_000);

  test("runs V8's worker threads (its optimizing compiler, its collector's helpers) at nice 19, its own thread at the user's", async () => {
    const folder = fresh();
    const k = await launchWarren({ env: { WARREN_COMPILER_DIR: folder } });
    try {
      expect(result((await k.execute('const n: number = 1; n + 1')).iopub)).toBe('2');
      const [pid] = compilersIn(folder);
      const niceOf = (stat: string) => Number(statFields(stat)[16]);
      const nice = (tid: string) => niceOf(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      const others = readdirSync(`/proc/${pid}/task`).filter((t) => Number(t) !== pid);
      expect(nice(String(pid))).toBe(niceOf(readFileSync('/proc/self/stat', 'utf8')));
      expect(others.length).toBeGreaterThanOrEqual(2);
      expect(others.map(nice)).toEqual(others.map(() => 19));
    } finally {
      await k.shutdown();
    }
  }, 120_000);

  test("holds V8's optimizing compiler back through a notebook's first cells, and lets it on once, after the work WARREN_COMPILER_TURBOFAN_AFTER_MS names", async () => {
    const cells = async (k: Awaited<ReturnType<typeof launchWarren>>, from: number) => {
      for (let i = from; i < from + 10; i++)
        expect(
          result((await k.execute(`const v${i}: number[] = [1, ${i}]; v${i}.length + ${i}`)).iopub)
        ).toBe(String(2 + i));
    };
    const held = fresh();
    const k = await launchWarren({ env: { WARREN_COMPILER_DIR: held } });
    try {
      await cells(k, 0);
      const [pid] = compilersIn(held);
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('--no-turbofan');
      expect(compilerLog(held)).not.toContain('TurboFan on');
    } finally {
      await k.shutdown();
    }
    const soon = fresh();
    const s = await launchWarren({
      env: { WARREN_COMPILER_DIR: soon, WARREN_COMPILER_TURBOFAN_AFTER_MS: '30' }
    });
    try {
      await cells(s, 0);
      await cells(s, 10);
      const said = [...compilerLog(soon).matchAll(/TurboFan on, after (\d+) ms of work/g)];
      expect(said).toHaveLength(1);
      expect(Number(said[0][1])).toBeGreaterThanOrEqual(30);
    } finally {
      await s.shutdown();
    }
  }, 120_000);

  test('serves every kernel of the user, each with its own declarations, and one that dies is replaced for all of them', async () => {
    const folder = fresh();
    const env = { WARREN_COMPILER_DIR: folder };
    const a = await launchWarren({ env });
    const b = await launchWarren({ env });
    try {
      await a.execute('const rate: number = 2;');
      // The same name, and the same folder, in another notebook: its own type.
      await b.execute('const rate: string = "fast";');
      expect(compilersIn(folder)).toHaveLength(1);
      const typed = await a.execute('rate.toUpperCase()', { stop_on_error: false });
      expect(typed.reply.content).toMatchObject({ status: 'error', ename: 'TSError' });
      expect(result((await b.execute('rate.toUpperCase()')).iopub)).toBe("'FAST'");
      // Killed (as the system's OOM killer would): the next cells of both
      // notebooks start one compiler again, which knows each one's declarations.
      const [pid] = compilersIn(folder);
      process.kill(pid, 'SIGKILL');
      const afterA = await a.execute('const doubled: number = rate * 2; doubled', {}, 60_000);
      expect(afterA.reply.content).toMatchObject({ status: 'ok' });
      expect(result(afterA.iopub)).toBe('4');
      const afterB = await b.execute('rate.length + 1', {}, 60_000);
      expect(result(afterB.iopub)).toBe('5');
      const now = compilersIn(folder);
      expect(now).toHaveLength(1);
      expect(now[0]).not.toBe(pid);
    } finally {
      await a.shutdown();
      await b.shutdown();
    }
  }, 120_000);

  test('a folder others may write refuses the compiler, and the cell says so without talk of data or memory', async () => {
    const folder = fresh();
    chmodSync(folder, 0o755);
    const k = await launchWarren({ env: { WARREN_COMPILER_DIR: folder } });
    try {
      const typed = await k.execute('const n: number = 1; n', { stop_on_error: false });
      expect(typed.reply.content).toMatchObject({ status: 'error' });
      const said = String(typed.reply.content.evalue);
      expect(said).toMatch(/is not this user's alone \(owner \d+, mode 755\)/);
      expect(said).not.toMatch(/MB|Large data/);
      // The one its supervisor started finds the folder refused too, and leaves.
      const deadline = Date.now() + 10_000;
      while (compilersIn(folder).length > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(compilersIn(folder)).toHaveLength(0);
      // A command needs no compiler: the kernel goes on.
      expect(text((await k.execute('!echo still here')).iopub)).toBe('still here\n');
    } finally {
      await k.shutdown();
    }
  }, 60_000);
});
