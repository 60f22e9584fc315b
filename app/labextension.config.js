/*
 * Merged by @jupyter/builder into the labextension build (package.json
 * `jupyterlab.webpackConfig`). The extension's browser-side packages (uplot,
 * and the @jupyterlab/* it compiles against) are installed with the page in
 * app/node_modules, not at the root.
 */
const path = require('path');

module.exports = {
  resolve: { modules: ['node_modules', path.join(__dirname, 'node_modules')] },
  resolveLoader: { modules: ['node_modules', path.join(__dirname, 'node_modules')] }
};
