import { RUNTIME } from '../../api/magics';
import { cellMagic, declaredNames, plainCommands, rewrite, template } from './syntax';

const none = () => false;

describe('shell syntax in TypeScript cells', () => {
  test('a ! line becomes an awaited run; indentation is kept', () => {
    expect(rewrite('  !ls -la', none)).toBe(`  await ${RUNTIME}.run(\`ls -la\`);`);
  });

  test('!name stays JavaScript negation when name is a known variable', () => {
    expect(rewrite('!done', (n) => n === 'done')).toBe('!done');
    expect(rewrite('let ok = true\n!ok', none)).toBe('let ok = true\n!ok');
    expect(rewrite('(!x)', none)).toBe('(!x)');
    expect(rewrite('!= 3', none)).toBe('!= 3');
  });

  test('const r = !cmd captures', () => {
    expect(rewrite('const r = !mrinfo -size x.mif', none)).toBe(
      `const r = await ${RUNTIME}.capture(\`mrinfo -size x.mif\`);`
    );
  });

  test('$name takes a TypeScript variable, else stays for the shell; $$ is a literal $', () => {
    const known = (n: string) => n === 'subject';
    expect(template('echo $subject $HOME $$5', known)).toBe('`echo ${subject} \\$HOME \\$5`');
  });

  test("${name} is $name: a TypeScript variable if there is one, else the shell's; other ${...} are the shell's", () => {
    const known = (n: string) => n === 'subject';
    expect(template('echo ${subject} ${HOME} ${f%.mif} ${#a[@]} ${1+1}', known)).toBe(
      '`echo ${subject} \\${HOME} \\${f%.mif} \\${#a[@]} \\${1+1}`'
    );
  });

  test('{expr} is interpolated; brace expansion and {{ }} stay literal', () => {
    expect(template('echo {n + 1} {1..3} {a,b} {{x}}', (name) => name === 'n')).toBe(
      '`echo ${n + 1} {1..3} {a,b} {x}`'
    );
  });

  test("{expr} that changes something or reads a name the cell cannot see is the command's own text (awk, jq)", () => {
    const known = (name: string) => ['n', 'xs', 'String'].includes(name);
    expect(template("awk '{print}'", known)).toBe("`awk '{print}'`");
    expect(template("awk '{n++} END {print n}'", known)).toBe("`awk '{n++} END {print n}'`");
    expect(template("awk '{s+=$2} END {print s}'", known)).toBe("`awk '{s+=\\$2} END {print s}'`");
    expect(template("jq '{name}'", known)).toBe("`jq '{name}'`");
    expect(template("echo {xs.map((x) => x * 2).join(',')} {String(n).length}", known)).toBe(
      "`echo ${xs.map((x) => x * 2).join(',')} ${String(n).length}`"
    );
    expect(template('echo {n === 1 ? "one" : "more"}', known)).toBe(
      '`echo ${n === 1 ? "one" : "more"}`'
    );
  });

  test("$${name} is the shell's ${name}", () => {
    expect(template('echo $$f $${f}', (name) => name === 'f')).toBe('`echo \\$f \\${f}`');
  });

  test('$name takes parameters, destructured loop variables, catch variables and imports of the cell', () => {
    expect(
      rewrite('async function conv(s: string, { out }: Opts) {\n  !echo $s $out\n}', none)
    ).toContain('`echo ${s} ${out}`');
    expect(
      rewrite('for (const [i, sub] of subs.entries()) {\n  !echo "$i: $sub"\n}', none)
    ).toContain('`echo "${i}: ${sub}"`');
    expect(rewrite('subs.map(async (sub) => {\n  !echo $sub\n})', none)).toContain('`echo ${sub}`');
    expect(rewrite('try { f() } catch (err) {\n  !echo $err\n}', none)).toContain('`echo ${err}`');
  });

  test('a ! line continuing TypeScript over a parameter or an import stays TypeScript', () => {
    const code = [
      "import { existsSync as exists } from 'node:fs'",
      'const open = items.filter(',
      '  (item) =>',
      '    !item.done',
      ')',
      'function blank(s: string) {',
      '  return s.length === 0 ||',
      '    !s.trim()',
      '}',
      'const missing = files.filter((f) =>',
      '  !exists(f))'
    ].join('\n');
    expect(rewrite(code, none)).toBe(code);
  });

  test('lines inside a template literal or a block comment are text, never commands', () => {
    const code = [
      'const md = `# Results',
      '![fa](fa.png)',
      '%cd /',
      '${subject ? `',
      '!inner`: ""}',
      '`',
      '/*',
      '!echo commented',
      '*/',
      '!echo after'
    ].join('\n');
    const out = rewrite(code, (name) => name === 'subject').split('\n');
    expect(out.slice(0, 9)).toEqual(code.split('\n').slice(0, 9));
    expect(out[9]).toBe(`await ${RUNTIME}.run(\`echo after\`);`);
  });

  test("after a !, the kernel's own globals are commands (display, warren); a name the cell declared is not", () => {
    const kernelOwn = (name: string, asCommand?: boolean) =>
      name === 'display' && asCommand !== true;
    expect(rewrite('!display -version', kernelOwn)).toBe(
      `await ${RUNTIME}.run(\`display -version\`);`
    );
    expect(rewrite('const display = 1\n!display', kernelOwn)).toBe('const display = 1\n!display');
  });

  test('backticks and backslashes in commands survive', () => {
    expect(template('echo `date` \\n', none)).toBe('`echo \\`date\\` \\\\n`');
  });

  test('line magics become calls', () => {
    expect(rewrite('%cd /tmp', none)).toBe(`await ${RUNTIME}.magic("cd", \`/tmp\`);`);
    expect(rewrite('%env FSLOUTPUTTYPE=NIFTI_GZ', none)).toBe(
      `await ${RUNTIME}.magic("env", \`FSLOUTPUTTYPE=NIFTI_GZ\`);`
    );
  });

  test('every line magic of the table is recognised, %map included; an unknown one at the start of a line too', () => {
    expect(rewrite('%map cmds.txt --chunk 50', none)).toBe(
      `await ${RUNTIME}.magic("map", \`cmds.txt --chunk 50\`);`
    );
    expect(rewrite('  %pwd', none)).toBe(`  await ${RUNTIME}.magic("pwd", \`\`);`);
    expect(rewrite('%nosuch x', none)).toBe(`await ${RUNTIME}.magic("nosuch", \`x\`);`);
    // Indented, an unknown name may be a remainder continuing the line above.
    expect(rewrite('const r = total\n  %base', none)).toBe('const r = total\n  %base');
  });

  test('%%bash cells are recognised with their magic line', () => {
    expect(cellMagic('%%bash -e\necho hi\n')).toEqual({
      shell: 'bash',
      args: '-e',
      body: 'echo hi\n'
    });
    expect(cellMagic('const x = 1')).toBeNull();
    expect(cellMagic('%%python\nprint(1)')).toEqual({ unknown: 'python' });
  });
});

describe('plain command cells', () => {
  test('a cell of ! lines and magics with no interpolation needs no compiler', () => {
    expect(plainCommands('!echo hi $HOME\n\n%cd /tmp\n!ls `pwd`', none)).toEqual([
      { command: 'echo hi $HOME' },
      { magic: 'cd', command: '/tmp' },
      { command: 'ls `pwd`' }
    ]);
  });

  test('%map is a magic, as %mount is (it was compiled as TypeScript)', () => {
    expect(plainCommands('%map commands.txt --chunk 2', none)).toEqual([
      { magic: 'map', command: 'commands.txt --chunk 2' }
    ]);
  });

  test('interpolation or TypeScript lines send the cell to the compiler', () => {
    expect(plainCommands('!echo ${HOME}', none)).toEqual([{ command: 'echo ${HOME}' }]);
    expect(plainCommands('!echo {1 + 1}', none)).toBeNull();
    expect(plainCommands('!echo ${x}', (n) => n === 'x')).toBeNull();
    expect(plainCommands('!echo $x', (n) => n === 'x')).toBeNull();
    expect(plainCommands('!echo hi\nconsole.log(1)', none)).toBeNull();
  });
});

describe('names a cell declares', () => {
  test('a condition or a loop head in parentheses declares nothing', () => {
    const names = declaredNames(
      'if (ls) {\n}\nwhile (grep > 0) {\n}\nfor (let i = 0; i < 3; i++) {\n}\nfunction f(a, { b }) {\n}'
    );
    expect(names.has('ls')).toBe(false);
    expect(names.has('grep')).toBe(false);
    expect([...names].sort()).toEqual(['a', 'b', 'f', 'i']);
  });
});
