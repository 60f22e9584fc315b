// Copies what tsc does not: kernelspec logos, and makes the CLI executable.
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..');
const from = path.join(root, 'kernel', 'spec');
const to = path.join(root, 'lib', 'kernel', 'spec');
fs.mkdirSync(to, { recursive: true });
for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(to, f));
fs.chmodSync(path.join(root, 'lib', 'kernel', 'cli', 'warren.js'), 0o755);
