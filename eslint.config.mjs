import tseslint from 'typescript-eslint';
import { srcWallBlocks } from './eslint.src-walls.mjs';

export default tseslint.config(
  { ignores: ['lib/**', 'node_modules/**', 'warren/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // JupyterLab's shape: IOptions and Private live in namespaces merged with their class.
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // TypeScript's module is taken as it is (`import ts = require(...)`): `import * as`
      // copies its 2,250 exports, a getter and a scope each, once per importing file
      // (13,500 getters, 1.5 MB of the compiler's memory, for six files).
      '@typescript-eslint/no-require-imports': ['error', { allow: ['^@tslab/typescript-for-tslab$'] }]
    }
  },
  // The kernel's walls (../shared/STYLE.md): a crossing fails `npm run lint`.
  ...walls([
    [
      'kernel/wire/**',
      'sockets, framing, signing and the outbox know nothing of kernels',
      ['**/protocol/**', '**/io/**', '**/engines/**', '**/services/**', '**/handlers/**',
        '**/comms/**', '**/api/**', '**/exit', '**/main']
    ],
    [
      'kernel/protocol/**',
      'protocol knows messages and its transport port, not the wire, the io thread, engines or services',
      ['**/wire/**', '**/io/**', '**/engines/**', '!**/engines/engine', '**/services/**',
        '**/handlers/**', '**/comms/**', '**/api/**', 'zeromq']
    ],
    [
      'kernel/engines/**',
      'engines run cells: they never touch sockets, services, comms or the cell API (its magic table aside)',
      ['**/wire/**', '**/io/**', '**/protocol/**', '**/services/**', '**/handlers/**',
        '**/comms/**', '**/api/**', '!**/api/magics', '**/client/**', 'zeromq']
    ],
    [
      'kernel/services/**',
      'services know nothing of cells, handlers or comms',
      ['**/engines/**', '**/handlers/**', '**/comms/**', '**/api/**', '**/io/**']
    ],
    [
      'kernel/client/**',
      'the client is a Jupyter client: wire and protocol only',
      ['**/services/**', '**/engines/**', '**/handlers/**', '**/comms/**', '**/api/**', '**/io/**']
    ],
    [
      'kernel/cli/**',
      'the command line builds on services, never on a request handler',
      ['**/handlers/**', '**/engines/**', '**/comms/**', '**/protocol/dispatcher']
    ]
  ]),
  ...srcWallBlocks
);

/** One `no-restricted-imports` block per room: [files, why, patterns it may not import]. */
function walls(rooms) {
  return rooms.map(([files, message, group]) => ({
    files: [files],
    ignores: ['**/*.spec.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group, message }] }] }
  }));
}
