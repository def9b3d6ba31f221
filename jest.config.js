import { readFileSync } from 'node:fs';

process.env.TZ = 'UTC';

const swc = JSON.parse(readFileSync(new URL('./.swcrc', import.meta.url), 'utf8'));
delete swc.$schema;
const libs = Object.keys(JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).imports).map((k) => k.slice(1));

/** Unit (`*.spec.ts`), integration (`*.int-spec.ts`, real PostgreSQL/Redis) and end-to-end (`test/**\/*.e2e-spec.ts`) tests. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swc, sourceMaps: 'inline' }] },
  moduleNameMapper: {
    [`^#(${libs.join('|')})$`]: '<rootDir>/libs/$1/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/{apps,libs,tools,migrations}/**/*.{spec,int-spec}.ts', '<rootDir>/test/**/*.{spec,int-spec,e2e-spec}.ts'],
  // Compiled by `npm run build` first: Jest loads global setup outside its ESM module system.
  globalSetup: '<rootDir>/dist/libs/testing/global-setup.js',
  globalTeardown: '<rootDir>/dist/libs/testing/global-teardown.js',
  testTimeout: 30_000,
  maxWorkers: process.env.CI ? 2 : '50%',
  reporters: ['default', '<rootDir>/libs/testing/summary-reporter.cjs'],
};
