/** Kernel unit specs sit beside the code; tests that cross a process live in test/. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Build outputs carry package.json files of their own (warren's labextension, the page).
  modulePathIgnorePatterns: ['<rootDir>/warren/', '<rootDir>/.venv/', '<rootDir>/lib/'],
  testMatch: ['<rootDir>/kernel/**/*.spec.ts', '<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.test.ts'],
  testTimeout: 60000,
  maxWorkers: 1,
  // zeromq's sockets keep the loop alive a moment after close; every test cleans up its kernels.
  forceExit: true,
  globalSetup: '<rootDir>/test/global-setup.js'
};
