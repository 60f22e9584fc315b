// `npm test` is the whole set-up on a bare machine: the Debian tools the tests
// drive (as root, with apt-get), .venv with the stock JupyterLab, the kernel and
// the labextension when stale, warren installed into .venv (scripts/setup.js).
const { setup } = require('../scripts/setup');
module.exports = async () => {
  setup({ system: !process.env.WARREN_SKIP_SYSTEM });
};
