import { describe, it } from '@jest/globals';
import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import rule from './lib-boundaries.js';

RuleTester.describe = describe;
RuleTester.it = it;

const tester = new RuleTester({ languageOptions: { parser: tseslint.parser, ecmaVersion: 2023, sourceType: 'module' } });

describe('lint rule parvis/lib-boundaries', () => {
  tester.run('lib-boundaries', rule, {
    valid: [
      { code: "import { loadConfig } from '#core';", filename: 'apps/portal/main.ts' },
      { code: "import { x } from './inner/thing.js';", filename: 'libs/core/index.ts' },
      { code: "import { y } from '../logging/logger.js';", filename: 'libs/core/errors/http-error.filter.ts' },
      { code: "import { z } from './portal.module.js';", filename: 'apps/portal/portal.app.ts' },
    ],
    invalid: [
      { code: "import { x } from '../../libs/core/logging/logger.js';", filename: 'apps/portal/main.ts', errors: [{ messageId: 'deep' }] },
      { code: "import { x } from '../core/config/config.js';", filename: 'libs/db/data-source.ts', errors: [{ messageId: 'deep' }] },
      { code: "import { x } from '#core/logging/logger.js';", filename: 'apps/portal/main.ts', errors: [{ messageId: 'alias' }] },
      { code: "export { x } from '../../libs/queue/outbox.js';", filename: 'test/e2e/a.ts', errors: [{ messageId: 'deep' }] },
    ],
  });
});
