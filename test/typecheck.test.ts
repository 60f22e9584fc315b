import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

// ts-jest only transpiles (isolatedModules), and the builds leave tests out:
// without this a type error in a test or a bench would pass unseen.
test.each(['test/tsconfig.json', 'src/tsconfig.json'])(
  'every file of %s type-checks under strict',
  (project) => {
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project, '--noEmit'],
      { cwd: ROOT, encoding: 'utf8' }
    );
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  },
  120000
);
