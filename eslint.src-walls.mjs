// The walls of src/, spread into eslint.config.mjs; a file of their own, so
// that the kernel's wall blocks and these change apart. No block here names a
// kernel file: ESLint keeps only the last matching block's options of a rule,
// so one would silently replace the kernel's own walls.
/*
 * The never-rules of STYLE.md ("Boundaries") for the extension, one block a
 * room. ESLint does not merge one rule's options across blocks (the last block
 * that matches a file wins), so each block lists what every file of src/ owes
 * as well as its own walls.
 */
const everywhereInSrc = [
  {
    group: ['**/kernel', '**/kernel/**'],
    message: 'src/ never imports kernel/: what both sides share lives in src/contract.'
  },
  {
    regex: '^sixel(/|$)',
    message: "Only src/sixel/model.ts imports the sixel library (the page's one importer)."
  },
  {
    regex: '^@jupyterlab/application(/|$)',
    message: 'Only the plugin files (src/plugins/) import @jupyterlab/application.'
  },
  {
    group: ['**/fake-services'],
    message: 'The in-memory services kernel is for specs only.'
  }
];

/** `everywhereInSrc`, less the entries whose group or regex is one of `allowed`. */
function srcWalls(extra = [], allowed = []) {
  const kept = everywhereInSrc.filter(
    (p) => !allowed.some((a) => p.regex === a || (p.group ?? []).includes(a))
  );
  return {
    '@typescript-eslint/no-restricted-imports': ['error', { patterns: [...kept, ...extra] }]
  };
}

const widgets = {
  group: [
    '@lumino/widgets',
    '@lumino/messaging',
    '@jupyterlab/apputils',
    '@jupyterlab/ui-components',
    '@jupyterlab/notebook',
    '@jupyterlab/cells',
    '@jupyterlab/rendermime',
    '@jupyterlab/terminal',
    '@jupyterlab/statusbar',
    '**/view',
    '**/chart',
    '**/gpu/processes',
    '**/gpu/status',
    '**/plugins/**'
  ],
  message:
    'Models and the comm client hold no widgets: views import their model, never the reverse.'
};

export const srcWallBlocks = [
  // Every file of the extension.
  { files: ['src/**/*.ts'], rules: srcWalls() },
  // Plugins wire tokens to models and views.
  {
    files: ['src/plugins/**/*.ts'],
    rules: srcWalls([], ['^@jupyterlab/application(/|$)'])
  },
  // The contract is shared with the kernel: it imports nothing outside itself.
  {
    files: ['src/contract/**/*.ts'],
    ignores: ['src/contract/**/*.spec.ts'],
    rules: srcWalls([
      {
        regex: '^(?!\\./)',
        message: 'src/contract imports nothing: not a package, nothing outside contract/.'
      }
    ])
  },
  // The comm client and the panel models: policy, no widgets.
  {
    files: ['src/comm/**/*.ts', 'src/{gpu,mounts,runs,sixel}/model.ts', 'src/sixel/lines.ts'],
    ignores: ['**/*.spec.ts'],
    rules: srcWalls([widgets])
  },
  { files: ['src/sixel/model.ts'], rules: srcWalls([widgets], ['^sixel(/|$)']) },
  // Views draw their model; they never reach the services kernel themselves.
  {
    files: ['src/{gpu,mounts,runs,sixel}/view.ts', 'src/gpu/chart.ts'],
    rules: srcWalls([
      {
        group: ['**/comm', '**/comm/**', '@jupyterlab/services', '**/plugins/**'],
        message: 'Views do not import the comm or the services: the model holds the connection.'
      },
      {
        group: ['**/tokens'],
        allowTypeImports: true,
        message: 'A view may name a token type (ServicesStatus), never hold the services.'
      }
    ])
  },
  // Specs may use the in-memory services kernel.
  {
    files: ['src/**/*.spec.ts'],
    rules: srcWalls([], ['**/fake-services'])
  }
];
