// Tests that cross a process run the compiled kernel: build it once per run.
const { execFileSync } = require('node:child_process');
module.exports = async () => {
  if (process.env.WARREN_SKIP_BUILD) return;
  execFileSync('npm', ['run', '--silent', 'build:kernel'], { cwd: `${__dirname}/..`, stdio: 'inherit' });
};
