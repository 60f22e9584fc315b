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
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }]
    }
  },
  ...srcWallBlocks
);
