import { RUNTIME } from '../../api/magics';
import { cellMagic, plainCommands, rewrite, template } from './syntax';

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
    expect(template('echo {n + 1} {1..3} {a,b} {{x}}', none)).toBe(
      '`echo ${n + 1} {1..3} {a,b} {x}`'
    );
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
