#!/usr/bin/env node
/*
 * Builds the JupyterLab 4.6.3 page into app/build:
 *   static/   the page's bundles and index.html (a Jinja template the server fills)
 *   schemas/  the core extensions' settings schemas
 *   themes/   the core themes' CSS
 * The list of core extensions, mime extensions and shared singletons comes
 * from @jupyterlab/core-meta, the npm copy of JupyterLab's own app package.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const rspack = require('@rspack/core');
const { Build } = require('@jupyter/builder');
const svgToDataUri = require('mini-svg-data-uri');

const here = __dirname;
const out = path.join(here, 'build');
const gen = path.join(out, 'gen');
const production = process.argv.includes('--production');

const corePackage = require('@jupyterlab/core-meta/core.package.json');
const lab = corePackage.jupyterlab;
const extensions = Object.keys(lab.extensions);
const mimeExtensions = Object.keys(lab.mimeExtensions);

function versionOf(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    return null;
  }
}

/** Every core dependency installed here is shared; the singletons once per page. */
function sharedModules() {
  const shared = {};
  const wanted = { ...corePackage.dependencies, ...(corePackage.resolutions || {}) };
  for (const [name, range] of Object.entries(wanted)) {
    const version = versionOf(name);
    if (!version) continue;
    shared[name] = { requiredVersion: range, version };
  }
  for (const name of lab.singletonPackages) {
    if (shared[name]) shared[name].singleton = true;
  }
  return shared;
}

/** The generated module `warren-lab-core`: every core extension, imported once. */
function writeCoreModule() {
  fs.mkdirSync(gen, { recursive: true });
  const lines = ["import { loadStyles } from './style-loader.js';"];
  const entry = (name, i, prefix, subpath) => {
    const target = subpath ? `${name}/${subpath}` : name;
    lines.push(`import * as ${prefix}${i} from ${JSON.stringify(target)};`);
    return `{ name: ${JSON.stringify(name)}, module: ${prefix}${i} }`;
  };
  const core = extensions.map((name, i) => entry(name, i, 'e', typeof lab.extensions[name] === 'string' ? lab.extensions[name] : ''));
  const mime = mimeExtensions.map((name, i) => entry(name, i, 'm', lab.mimeExtensions[name]));
  lines.push(`export const core = [\n  ${core.join(',\n  ')}\n];`);
  lines.push(`export const mime = [\n  ${mime.join(',\n  ')}\n];`);
  lines.push('export const loadCoreStyles = loadStyles;');
  fs.writeFileSync(path.join(gen, 'core.js'), lines.join('\n') + '\n');
  // style.js (written by ensureAssets) imports CSS for its side effects; load it lazily.
  fs.writeFileSync(path.join(gen, 'style-loader.js'), "export function loadStyles() { return import('./style.js'); }\n");
}

const themeConfigs = Build.ensureAssets({
  output: gen,
  schemaOutput: out,
  themeOutput: out,
  packageNames: [...extensions, ...mimeExtensions]
});
writeCoreModule();

const appConfig = {
  mode: production ? 'production' : 'development',
  devtool: production ? false : 'source-map',
  context: here,
  entry: { main: path.join(here, 'src', 'bootstrap.js') },
  output: {
    path: path.join(out, 'static'),
    publicPath: 'auto',
    filename: '[name].[contenthash].js',
    chunkFilename: '[name].[contenthash].js',
    clean: true
  },
  resolve: {
    alias: { 'warren-lab-core': path.join(gen, 'core.js') },
    fallback: {
      url: false,
      crypto: false,
      path: require.resolve('path-browserify'),
      process: require.resolve('process/browser')
    }
  },
  module: {
    rules: [
      { test: /\.css$/, use: [require.resolve('style-loader'), require.resolve('css-loader')], type: 'javascript/auto' },
      // SVGs: a data URI from CSS, the markup itself from JS (LabIcon takes a string).
      {
        test: /\.svg(\?v=\d+\.\d+\.\d+)?$/,
        issuer: /\.css$/,
        type: 'asset/inline',
        generator: { dataUrl: { content: (source) => svgToDataUri(source.toString()), mimetype: 'image/svg+xml' } }
      },
      { test: /\.svg(\?v=\d+\.\d+\.\d+)?$/, issuer: /\.[cm]?js$/, type: 'asset/source' },
      { test: /\.(md|txt)$/, type: 'asset/source' },
      { test: /\.(cur|png|jpg|gif|ttf|woff|woff2|eot)(\?v=\d+\.\d+\.\d+)?$/, type: 'asset/resource' }
    ]
  },
  plugins: [
    new rspack.ProvidePlugin({ process: require.resolve('process/browser') }),
    new rspack.HtmlRspackPlugin({
      template: path.join(here, 'templates', 'index.html'),
      filename: 'index.html',
      // The server renders index.html with Jinja; scripts load from its static prefix.
      publicPath: '{{ page_config.fullStaticUrl }}/'
    }),
    new rspack.container.ModuleFederationPlugin({
      name: 'CORE_FEDERATION',
      library: { type: 'var', name: ['_JUPYTERLAB', 'CORE_LIBRARY_FEDERATION'] },
      shared: sharedModules()
    })
  ],
  // mathjax-full reads __dirname only in Node; the browser path never does.
  ignoreWarnings: [/__dirname/],
  performance: { hints: false },
  stats: 'errors-warnings'
};

// Loaders named by ensureAssets ('css-loader') resolve from here, whatever the cwd.
const resolveLoader = { modules: [path.join(here, 'node_modules'), 'node_modules'] };
const configs = [
  { ...appConfig, resolveLoader },
  ...themeConfigs.map((c) => ({ ...c, context: here, resolveLoader, stats: 'errors-only' }))
];
const started = Date.now();
rspack(configs, (error, stats) => {
  if (error) {
    console.error(error);
    process.exit(1);
  }
  const text = stats.toString({ colors: false, preset: 'errors-warnings' });
  if (text.trim()) console.log(text);
  if (stats.hasErrors()) process.exit(1);
  fs.writeFileSync(path.join(out, 'build.json'), JSON.stringify({ jupyterlab: corePackage.version, builtAt: new Date().toISOString() }, null, 2));
  console.log(`app built into ${path.relative(process.cwd(), out) || out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
