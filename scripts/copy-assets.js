// Copies what tsc does not: kernelspec logos, and makes the CLI executable; writes
// the cell API's declarations.
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..');
const from = path.join(root, 'kernel', 'spec');
const to = path.join(root, 'lib', 'kernel', 'spec');
fs.mkdirSync(to, { recursive: true });
for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(to, f));
fs.chmodSync(path.join(root, 'lib', 'kernel', 'cli', 'warren.js'), 0o755);
// The cell API's ambient declarations, generated from the types in kernel/api/globals.ts.
const { ambientDeclarations, DECLARATIONS_FILE } = require(
  path.join(root, 'lib', 'kernel', 'api', 'declarations.js')
);
ambientDeclarations(fs.readFileSync(path.join(root, 'kernel', 'api', 'globals.ts'), 'utf8')).then(
  (text) => fs.writeFileSync(path.join(root, 'lib', 'kernel', 'api', DECLARATIONS_FILE), text),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
);
