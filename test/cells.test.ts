import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelClient } from '../kernel/client/client';
import { MAGICS } from '../kernel/api/magics';
import { ROOT, launchWarren, result, text } from './harness';

const work = realpathSync(mkdtempSync(join(tmpdir(), 'warren-cells-')));

/** Runs a cell that may fail, without stopping the queue. */
function run(k: KernelClient, code: string) {
  return k.execute(code, { stop_on_error: false });
}

describe('what a failed cell leaves behind', () => {
  let k: KernelClient;
  beforeAll(async () => {
    k = await launchWarren({ cwd: work });
  });
  afterAll(async () => {
    await k.shutdown();
  });

  test('a cell that throws keeps what it declared before the throw, and later cells type-check against it', async () => {
    const failed = await run(
      k,
      'const keepMe = 41\ninterface Point { x: number }\nfunction inc(n: number) { return n + 1 }\nthrow new Error("boom")'
    );
    expect(failed.reply.content).toMatchObject({ status: 'error', evalue: 'boom' });
    expect(result((await run(k, 'keepMe')).iopub)).toBe('41');
    const typed = await run(k, 'const p: Point = { x: inc(keepMe) }\np.x');
    expect(typed.reply.content.status).toBe('ok');
    expect(result(typed.iopub)).toBe('42');
    // The checker knows keepMe's type: a misuse is a type error, not a missing name.
    const misuse = await run(k, 'const s: string = keepMe');
    expect(misuse.reply.content).toMatchObject({ ename: 'TSError' });
    expect(String(misuse.reply.content.evalue)).toMatch(/not assignable to type 'string'/);
  });

  test('what the cell would have declared after the throw is not there; an earlier value of that name comes back', async () => {
    await run(k, 'let later = "from before"');
    await run(k, 'const ran = 1\nthrow new Error("stop")\nconst notReached = 2\nlet later = 3');
    expect(result((await run(k, 'ran')).iopub)).toBe('1');
    const notReached = await run(k, 'notReached');
    expect(notReached.reply.content).toMatchObject({ ename: 'TSError' });
    expect(String(notReached.reply.content.evalue)).toMatch(/Cannot find name 'notReached'/);
    const later = await run(k, 'later.toUpperCase()');
    expect(result(later.iopub)).toBe("'FROM BEFORE'");
    // A name in any script is such a name too, one past the BMP as well.
    await run(k, 'throw new Error("stop")\nconst ψ = 1, café = 2, 𝑥 = 3');
    for (const name of ['ψ', 'café', '𝑥']) {
      const gone = await run(k, `typeof ${name}`);
      expect(String(gone.reply.content.evalue)).toMatch(`Cannot find name '${name}'`);
    }
  });

  test('an interrupted cell keeps what it declared before the interrupt', async () => {
    const running = run(
      k,
      'const beforeLoop = "kept"\nlet n = 0\nwhile (true) n++\nconst afterLoop = 1'
    );
    await new Promise((r) => setTimeout(r, 1500));
    await k.call('control', 'interrupt_request', {});
    expect((await running).reply.content).toMatchObject({ ename: 'KeyboardInterrupt' });
    const after = await run(k, 'beforeLoop.length + (n > 0 ? 1 : 0)');
    expect(after.reply.content.status).toBe('ok');
    expect(result(after.iopub)).toBe('5');
    expect(String((await run(k, 'afterLoop')).reply.content.evalue)).toMatch(
      /Cannot find name 'afterLoop'/
    );
  });

  test('a cell interrupted in a ! command keeps what it declared before the command', async () => {
    const running = run(
      k,
      'const subjects = ["sub-01", "sub-02"]\n!sleep 31.3\nconst unreached = 1'
    );
    await new Promise((r) => setTimeout(r, 1500));
    await k.call('control', 'interrupt_request', {});
    expect((await running).reply.content).toMatchObject({ ename: 'KeyboardInterrupt' });
    expect(result((await run(k, 'subjects.length')).iopub)).toBe('2');
    expect(String((await run(k, 'unreached')).reply.content.evalue)).toMatch(
      /Cannot find name 'unreached'/
    );
  });

  test('an interrupted await keeps what the cell declared before it', async () => {
    const running = run(
      k,
      'const beforeAwait = [1, 2, 3]\nawait new Promise((r) => setTimeout(r, 30000))'
    );
    await new Promise((r) => setTimeout(r, 1500));
    await k.call('control', 'interrupt_request', {});
    expect((await running).reply.content).toMatchObject({ ename: 'KeyboardInterrupt' });
    expect(result((await run(k, 'beforeAwait.map((x) => x * 2)')).iopub)).toBe('[ 2, 4, 6 ]');
  });
});

describe('names shared between cells, as in a REPL', () => {
  let k: KernelClient;
  beforeAll(async () => {
    k = await launchWarren({ cwd: work });
  });
  afterAll(async () => {
    await k.shutdown();
  });

  const value = async (code: string) => {
    const { reply, iopub } = await run(k, code);
    expect(reply.content.status).toBe('ok');
    return result(iopub);
  };

  test('a function sees what a later cell assigns to a name it reads, and writes what later cells read', async () => {
    await value('let lr = 0.1\nfunction step() { return lr }');
    await value('lr = 0.01');
    expect(await value('step()')).toBe('0.01');
    expect(
      await value('let counter = 0\nfunction inc() { counter++; return counter }\ninc(); counter')
    ).toBe('1');
    await value('counter = 100');
    expect(await value('inc()')).toBe('101');
    expect(await value('counter')).toBe('101');
  });

  test('a function calls the newest definition of another, as redefined by a later cell', async () => {
    await value('function helper() { return 1 }\nfunction useHelper() { return helper() }');
    await value('function helper() { return 2 }');
    expect(await value('useHelper()')).toBe('2');
    // Within one cell, a class and a destructured pair still read as written.
    expect(
      await value("class A { static make() { return new A() } hi() { return 'a' } }\nA.make().hi()")
    ).toBe("'a'");
    expect(await value('const [p, { q }] = [1, { q: 2 }]\nconst sum = () => p + q\nsum()')).toBe(
      '3'
    );
  });

  test("a cell that is an object literal in braces shows the object, as Node's REPL does; a block stays a block", async () => {
    expect(await value('{ a: 1, b: [2, 3] }')).toBe('{ a: 1, b: [ 2, 3 ] }');
    await value('const seen = 4');
    expect(await value('{ seen }')).toBe('{ seen: 4 }');
    expect(await value('{ let inner = 5; inner * 2 }')).toBeUndefined();
    const typo = await run(k, '{ a: 1,\n  b: undefinedName }');
    expect(typo.reply.content.ename).toBe('TSError');
    expect(String(typo.reply.content.traceback)).toContain('2:6 - ');
    // A kernel whose compiler is still loading runs such a cell as plain JavaScript, alike.
    const fresh = await launchWarren({ cwd: work });
    try {
      const first = await run(fresh, '{ a: 1 }');
      expect(result(first.iopub)).toBe('{ a: 1 }');
    } finally {
      await fresh.shutdown();
    }
  });

  test('a name declared in a declare global block is read from globalThis in later cells', async () => {
    await value('declare global { var sharedRate: number }\nglobalThis.sharedRate = 5');
    expect(await value('sharedRate + 1')).toBe('6');
  });
});

describe("an error's traceback", () => {
  let k: KernelClient;
  beforeAll(async () => {
    k = await launchWarren({ cwd: work });
  });
  afterAll(async () => {
    await k.shutdown();
  });

  /** The traceback of the cell's error reply, which must have failed. */
  const traceback = async (code: string) => {
    const { reply } = await run(k, code);
    expect(reply.content.status).toBe('error');
    return reply.content.traceback as string[];
  };

  test("names each cell's own line and column, with its code, not the compiled JavaScript's", async () => {
    // Types, a shorthand property and a ! line before the throw: none of them
    // is where the compiled JavaScript has it.
    const first = await run(
      k,
      [
        'interface Scan { subject: string; volumes: number }',
        'const subject = "sub-01"',
        'const scan: Scan = { subject, volumes: 3 }',
        '!true',
        'function check(s: Scan): number {',
        '  if (s.volumes < 4) throw new Error(`too few volumes: ${s.volumes}`)',
        '  return s.volumes',
        '}'
      ].join('\n')
    );
    expect(first.reply.content.status).toBe('ok');
    const lines = await traceback('const again = { scan }\ncheck(again.scan)');
    expect(lines[0]).toMatch(/Error.*too few volumes: 3/);
    // Column 28 of line 6 is `new Error`; line 2 of the calling cell, column 1.
    expect(lines.slice(1)).toEqual([
      '    at check (Cell In[1]:6:28)',
      '        if (s.volumes < 4) throw new Error(`too few volumes: ${s.volumes}`)',
      '    at Cell In[2]:2:1',
      '        check(again.scan)'
    ]);
  });

  test('a column after shorthand properties is the one written, in a type error and a thrown one', async () => {
    const typed = await run(k, 'const u = 1, v = 2\nconst w = { u, v, z: u.toFixed(1) * 2 }');
    expect(typed.reply.content.ename).toBe('TSError');
    // The left side of `*` (column 22 as written, not 28 of `{ u: u, v: v, ...`).
    expect(String(typed.reply.content.traceback)).toContain('2:22 - ');
    const thrown = await traceback('const m = 1, n = 2\nconst o = { m, n, p: (null as any).q }');
    expect(thrown[1]).toBe('    at Cell In[4]:2:36');
  });

  test('a cell run while the compiler still loads, and again once it is ready, names its lines', async () => {
    const fresh = await launchWarren({ cwd: work });
    try {
      const cell = '[3, 4].map((x) => {\n  throw new RangeError(`bad ${x}`)\n})';
      for (const label of ['In[1]', 'In[2]']) {
        const { reply } = await run(fresh, cell);
        const thrown = reply.content.traceback as string[];
        expect(thrown[0]).toMatch(/RangeError.*bad 3/);
        expect(thrown.slice(1)).toEqual([
          `    at Cell ${label}:2:9`,
          '        throw new RangeError(`bad ${x}`)',
          '    at Array.map (<anonymous>)',
          `    at Cell ${label}:1:8`,
          '        [3, 4].map((x) => {'
        ]);
      }
    } finally {
      await fresh.shutdown();
    }
  });

  test('an error thrown later in a callback of a cell names the cell', async () => {
    const late = await run(
      k,
      'setTimeout(() => {\n  throw new Error("late")\n}, 10)\nawait new Promise((r) => setTimeout(r, 100))'
    );
    const stderr = late.iopub
      .filter((m) => m.header.msg_type === 'stream')
      .map((m) => String(m.content.text))
      .join('');
    expect(stderr).toContain(
      'at Timeout._onTimeout (Cell In[5]:2:9)\n        throw new Error("late")'
    );
  });

  test("a type error names the cell's line and column, shows that line and marks the span", async () => {
    const lines = await traceback('const volumes = 3\nconst label: string = volumes\nlabel');
    expect(lines).toEqual([
      "\x1b[31mTSError\x1b[0m Cell In[6]:2:7 - Type 'number' is not assignable to type 'string'.\n" +
        '    const label: string = volumes\n' +
        '          \x1b[31m^^^^^\x1b[0m'
    ]);
    // A message's chain stays under its head; a tab before the span keeps the caret under it.
    const chained = await traceback(
      'function run(f: (x: number) => void) {}\n\trun((x: string) => {})'
    );
    expect(chained[0].split('\n')).toEqual([
      expect.stringMatching(/^\x1b\[31mTSError\x1b\[0m Cell In\[7\]:2:6 - Argument of type/),
      expect.stringMatching(/^ {2}Types of parameters 'x' and 'x' are incompatible\.$/),
      expect.stringMatching(/^ {4}Type 'number' is not assignable to type 'string'\.$/),
      '    \trun((x: string) => {})',
      '    \t    \x1b[31m^^^^^^^^^^^^^^^^^\x1b[0m'
    ]);
  });
});

describe("the notebook's own TypeScript modules", () => {
  const folder = join(work, 'modules');
  let k: KernelClient;
  beforeAll(async () => {
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(folder, 'helpers.ts'),
      'export function scale(n: number, k: number): number {\n  if (k > 2) throw new Error(`k too big: ${k}`)\n  return n * k\n}\n'
    );
    writeFileSync(
      join(folder, 'util.ts'),
      "import { scale } from './helpers'\nexport function double(n: number): number { return scale(n, 2) }\nexport const unit: string = 'mm'\n"
    );
    writeFileSync(join(folder, 'other.ts'), 'export const other = 1\n');
    k = await launchWarren({ cwd: folder });
  });
  afterAll(async () => {
    await k.shutdown();
  });

  test('a cell imports a .ts file beside the notebook, and what that file imports, typed', async () => {
    const imported = await run(k, "import { double, unit } from './util'");
    expect(imported.reply.content.status).toBe('ok');
    expect(result((await run(k, 'double(21) + unit')).iopub)).toBe("'42mm'");
    const typo = await run(k, "double('21')");
    expect(typo.reply.content.ename).toBe('TSError');
  });

  test("an error thrown in such a module names the module's own line, with its code", async () => {
    const { reply } = await run(k, "import { scale } from './helpers'\nscale(1, 5)");
    expect(reply.content.evalue).toBe('k too big: 5');
    expect((reply.content.traceback as string[]).slice(1, 3)).toEqual([
      `    at scale (${join(folder, 'helpers.ts')}:2:20)`,
      '        if (k > 2) throw new Error(`k too big: ${k}`)'
    ]);
  });

  test('a module changed on disk is loaded anew by the next cell that imports it', async () => {
    writeFileSync(
      join(folder, 'util.ts'),
      "import { scale } from './helpers'\nexport function double(n: number): number { return scale(n, 2) + 1 }\nexport const unit: string = 'cm'\n"
    );
    await run(k, "import { double, unit } from './util'");
    expect(result((await run(k, 'double(21) + unit')).iopub)).toBe("'43cm'");
  });

  test('a .ts file that no import statement reached says how to load it', async () => {
    const { reply } = await run(k, "const o = require('./other')");
    expect(String(reply.content.evalue)).toMatch(
      /other\.ts is TypeScript that no cell has imported.*import \{ \.\.\. \} from '\.\/other'/
    );
  });
});

describe('every documented magic in a cell', () => {
  let k: KernelClient;
  const settings = join(work, 'settings');
  /** Each magic of the table that a test below has run. */
  const ran = new Set<string>();
  const magic = async (code: string) => {
    const m = /^%%?([a-z_]+)/.exec(code);
    if (m) ran.add(m[1]);
    const r = await run(k, code);
    return { ...r, out: text(r.iopub), err: text(r.iopub, 'stderr'), content: r.reply.content };
  };

  beforeAll(async () => {
    mkdirSync(join(settings, 'warren'), { recursive: true });
    writeFileSync(
      join(settings, 'warren', 'runs.jupyterlab-settings'),
      JSON.stringify({
        profiles: [{ name: 'box', kind: 'ssh', host: '127.0.0.1', workdir: '/tmp' }]
      })
    );
    mkdirSync(join(work, 'sub'), { recursive: true });
    k = await launchWarren({ cwd: work, env: { JUPYTERLAB_SETTINGS_DIR: settings } });
  });
  afterAll(async () => {
    await k.shutdown();
  });

  test('%cd and %pwd', async () => {
    expect((await magic('%cd sub')).out).toBe(join(work, 'sub') + '\n');
    expect((await magic('%pwd')).out).toBe(join(work, 'sub') + '\n');
    expect(text((await run(k, '!pwd')).iopub)).toBe(join(work, 'sub') + '\n');
    expect((await magic(`%cd ${work}`)).content.status).toBe('ok');
  });

  test('%env NAME=value, %env NAME, bare %env, %set_env NAME value', async () => {
    expect((await magic('%env WARREN_A=one')).out).toBe('env: WARREN_A=one\n');
    expect((await magic('%env WARREN_A')).out).toBe('one\n');
    expect((await magic('%env')).out.split('\n')).toContain('WARREN_A=one');
    expect((await magic('%set_env WARREN_B two words')).out).toBe('env: WARREN_B=two words\n');
    expect(text((await run(k, '!echo "$WARREN_A/$WARREN_B"')).iopub)).toBe('one/two words\n');
  });

  test('%%bash, %%bash ARGS and %%sh', async () => {
    expect((await magic('%%bash\necho "$BASH_VERSION" | cut -c1')).out).toMatch(/^\d\n$/);
    expect((await magic('%%bash one "two three"\necho "$# [$1] [$2]"')).out).toBe(
      '2 [one] [two three]\n'
    );
    // /bin/sh is dash here: no BASH_VERSION.
    expect((await magic('%%sh\necho "sh:${BASH_VERSION:-none}"')).out).toBe('sh:none\n');
  });

  test('%mount lists; %mount and %unmount with wrong arguments give their usage', async () => {
    const listed = await magic('%mount');
    expect(listed.content.status).toBe('ok');
    const one = await magic('%mount only-a-source');
    expect(one.content).toMatchObject({ ename: 'UsageError' });
    expect(String(one.content.evalue)).toContain(`usage: ${MAGICS.mount.usage}`);
    const none = await magic('%unmount');
    expect(none.content).toMatchObject({ ename: 'UsageError' });
    expect(String(none.content.evalue)).toContain(`usage: ${MAGICS.unmount.usage}`);
  });

  test('%map reaches the profiles: usage errors, and a profile that cannot take a job array', async () => {
    writeFileSync(join(work, 'commands.txt'), 'echo a\necho b\n');
    for (const wrong of ['%map', '%map commands.txt --chunk zero', '%map missing.txt']) {
      const r = await magic(wrong);
      expect(r.content).toMatchObject({ ename: 'UsageError' });
      expect(String(r.content.evalue)).toContain(`usage: ${MAGICS.map.usage}`);
    }
    const ssh = await magic('%map commands.txt --chunk 1 --profile box');
    expect(ssh.content).toMatchObject({ status: 'error', ename: 'Error' });
    expect(String(ssh.content.evalue)).toBe('map needs a Slurm profile; box is ssh');
  });

  test('a magic given wrong arguments gets its usage line, never a TypeScript error', async () => {
    for (const [code, name] of [
      ['%cd /no/such/dir', 'cd'],
      ['%pwd extra', 'pwd'],
      ['%env 1NOT-A-NAME', 'env'],
      ['%set_env', 'set_env'],
      ['%set_env ONLY_A_NAME', 'set_env']
    ] as const) {
      const r = await magic(code);
      expect([code, r.content.ename]).toEqual([code, 'UsageError']);
      expect(String(r.content.evalue)).toContain(`usage: ${MAGICS[name].usage}`);
    }
    const unknown = await magic('%nosuch x');
    expect(unknown.content).toMatchObject({ ename: 'UsageError' });
    expect(String(unknown.content.evalue)).toMatch(/unknown line magic %nosuch \(there are %cd, /);
    const unknownCell = await magic('%%python\nprint(1)');
    expect(unknownCell.content).toMatchObject({ ename: 'UsageError' });
    expect(String(unknownCell.content.evalue)).toMatch(
      /unknown cell magic %%python \(there are %%bash, %%sh\)/
    );
  });

  test('a magic among TypeScript lines runs in order', async () => {
    const r = await run(
      k,
      'console.log("a")\n%env WARREN_C=mixed\nconsole.log(process.env.WARREN_C)'
    );
    expect(text(r.iopub)).toBe('a\nenv: WARREN_C=mixed\nmixed\n');
  });

  test('the tests above ran every magic of the table', () => {
    expect([...ran].filter((n) => n in MAGICS).sort()).toEqual(Object.keys(MAGICS).sort());
  });
});

describe('documented cell features', () => {
  let k: KernelClient;
  beforeAll(async () => {
    mkdirSync(join(work, 'data', 'sub-01'), { recursive: true });
    writeFileSync(join(work, 'data', 'fa.mif'), '');
    writeFileSync(join(work, 'data', 'tiny.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
    k = await launchWarren({ cwd: work });
  });
  afterAll(async () => {
    await k.shutdown();
  });

  /** The display_data (and update_display_data) messages of a cell: type, data, display id. */
  async function displays(code: string) {
    const { reply, iopub } = await run(k, code);
    expect(reply.content.status).toBe('ok');
    return iopub
      .filter((m) => /^(update_)?display_data$/.test(m.header.msg_type))
      .map((m) => ({
        type: m.header.msg_type,
        data: m.content.data,
        id: (m.content.transient as { display_id?: string } | undefined)?.display_id
      }));
  }

  test('display(value) shows any value as text', async () => {
    expect(await displays('display({ a: 1, b: [2, 3] })')).toEqual([
      { type: 'display_data', data: { 'text/plain': '{ a: 1, b: [ 2, 3 ] }' }, id: undefined }
    ]);
  });

  test('display.svg, .jpeg (bytes or a file), .json, .latex and .text give their mime types', async () => {
    const shown = await displays(
      [
        'display.svg("<svg xmlns=\\"http://www.w3.org/2000/svg\\"/>")',
        'display.jpeg(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]))',
        'display.jpeg("./data/tiny.jpg")',
        'display.json({ x: [1, 2], y: null })',
        'display.latex("$x^2$")',
        'display.text("just text")'
      ].join('\n')
    );
    expect(shown.map((d) => d.data)).toEqual([
      { 'image/svg+xml': '<svg xmlns="http://www.w3.org/2000/svg"/>', 'text/plain': '<svg image>' },
      { 'image/jpeg': '/9j/2Q==', 'text/plain': '<jpeg image>' },
      { 'image/jpeg': '/9j/2Q==', 'text/plain': '<jpeg image>' },
      { 'application/json': { x: [1, 2], y: null }, 'text/plain': '{"x":[1,2],"y":null}' },
      { 'text/latex': '$x^2$', 'text/plain': '$x^2$' },
      { 'text/plain': 'just text' }
    ]);
  });

  test('a display with an id is updated in place', async () => {
    const shown = await displays(
      'display.text("step 1", { id: "progress" })\ndisplay.text("step 2", { id: "progress", update: true })'
    );
    expect(shown).toEqual([
      { type: 'display_data', data: { 'text/plain': 'step 1' }, id: 'progress' },
      { type: 'update_display_data', data: { 'text/plain': 'step 2' }, id: 'progress' }
    ]);
  });

  test('process.stdout.write goes to the cell, strings and bytes, and calls its callback', async () => {
    const { iopub } = await run(
      k,
      'let called = false\nprocess.stdout.write("raw ")\nprocess.stdout.write(Buffer.from("bytes\\n"), () => { called = true })\ncalled'
    );
    expect(text(iopub)).toBe('raw bytes\n');
    expect(result(iopub)).toBe('true');
  });

  test('the $ tag captures a command with TypeScript values in it', async () => {
    const { iopub } = await run(
      k,
      // The ; matters: a line starting with [ would index the template before it.
      'const who = "sub-01"\nconst r = await $`echo ${who}; ls data; exit 3`;\n[r.exitCode, r.lines]'
    );
    expect(result(iopub)).toBe("[ 3, [ 'sub-01', 'fa.mif', 'sub-01', 'tiny.jpg' ] ]");
    // Captured, not printed.
    expect(text(iopub)).toBe('');
  });

  test('the ! rule: a name the cell can see is negated, any other word is a command', async () => {
    await run(k, 'let ready = 0');
    // An earlier cell's variable, one declared in this cell, and a global: JavaScript.
    expect(result((await run(k, '!ready')).iopub)).toBe('true');
    expect(result((await run(k, 'const done = false\n!done')).iopub)).toBe('true');
    expect(result((await run(k, '!process')).iopub)).toBe('false');
    // A word no cell declared: the shell, as `(!x)` forces JavaScript.
    expect(text((await run(k, '!echo done')).iopub)).toBe('done\n');
    const forced = await run(k, '(!nothingHere)');
    expect(forced.reply.content).toMatchObject({ ename: 'TSError' });
  });

  test('after a !, warren and display are the commands, not the cell API of those names', async () => {
    // warren's CLI (on PATH in the test run) and ImageMagick's display, not the cell API's globals.
    const cli = await run(k, '!warren --help');
    expect(cli.reply.content.status).toBe('ok');
    expect(text(cli.iopub)).toMatch(/warren/i);
    const im = await run(k, '!display -version');
    expect(im.reply.content.status).toBe('ok');
    expect(text(im.iopub)).toMatch(/ImageMagick/);
  });

  test("an awk program in braces is the command's, and leaves a variable of its name alone", async () => {
    await run(k, 'let nlines = 5');
    const awk = await run(k, "!printf 'a\\nb\\n' | awk '{nlines++} END {print nlines}'");
    expect(awk.reply.content.status).toBe('ok');
    expect(text(awk.iopub)).toBe('2\n');
    expect(result((await run(k, 'nlines')).iopub)).toBe('5');
    expect(text((await run(k, '!echo {nlines + 1}')).iopub)).toBe('6\n');
  });

  test('exit or quit alone asks the front end to close, as IPython does, and leaves the kernel running', async () => {
    for (const code of ['exit', 'quit()', '  exit();  ']) {
      const { reply, iopub } = await run(k, code);
      expect(reply.content).toMatchObject({
        status: 'ok',
        payload: [{ source: 'ask_exit', keepkernel: false }]
      });
      expect(iopub.filter((m) => m.header.msg_type === 'error')).toEqual([]);
    }
    expect(result((await run(k, '6 * 7')).iopub)).toBe('42');
    // A name the notebook declared is its own: the cell shows its value.
    await run(k, 'const quit = "declared"');
    const declared = await run(k, 'quit');
    expect(declared.reply.content.payload).toEqual([]);
    expect(result(declared.iopub)).toBe("'declared'");
    // Inside other code, exit is TypeScript's.
    const inside = await run(k, 'exit + 1');
    expect(String(inside.reply.content.evalue)).toMatch(/Cannot find name 'exit'/);
  });

  test('completion offers file paths in ! lines: files, folders with a slash, from a partial path', async () => {
    const complete = async (code: string) =>
      (await k.call('shell', 'complete_request', { code, cursor_pos: code.length })).reply.content;
    const inData = await complete('!mrinfo data/');
    expect(inData.matches).toEqual(['data/fa.mif', 'data/sub-01/', 'data/tiny.jpg']);
    expect(inData.cursor_start).toBe('!mrinfo '.length);
    const partial = await complete('const x = 1\n!mrinfo data/su');
    expect(partial.matches).toEqual(['data/sub-01/']);
    expect(partial.cursor_start).toBe('const x = 1\n!mrinfo '.length);
    expect(partial.cursor_end).toBe('const x = 1\n!mrinfo data/su'.length);
  });
});

test('a kernel started in a JavaScript project folder (900 packages under node_modules) checks its cells', async () => {
  // TypeScript's watch program watched the folders of failed lookups under the
  // working folder's node_modules recursively, and Node walks a tree to do
  // that: the checker ran out of its 160 MB on `const x = 1`. This
  // repository's own folder is such a project.
  const k = await launchWarren({ cwd: ROOT });
  try {
    for (const name of ['first', 'second']) {
      const { reply } = await k.execute(`const deep_${name} = 1; deep_${name} + 1`);
      expect(reply.content.status).toBe('ok');
    }
  } finally {
    await k.shutdown();
  }
});
