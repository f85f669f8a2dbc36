// ESLint flat config: typescript-eslint recommended rules, zero warnings allowed (pnpm lint).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Boundaries of packages/core/src (docs/architecture.md, "Layers and boundaries"): a file reaches another top-level
 * folder (a domain such as oci/, or the lower layer base/) only through that folder's index.ts; inside its own domain
 * relative imports are free. A file `depth` folders below src/ climbs `depth` times to leave its domain, so one
 * pattern per depth: `../oci/index.js` passes, `../oci/client.js` does not. packages/core/test/architecture checks the
 * same rule (and import cycles) on the whole graph.
 */
const coreBoundaries = [0, 1, 2, 3, 4].map((depth) => {
  const up = depth === 0 ? '\\./' : `(?:\\.\\./){${depth}}`;
  return {
    files: [`packages/core/src/${'*/'.repeat(depth)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^${up}[^./][^/]*/(?!index\\.js$)`,
              message: "import another domain through its index.ts (e.g. '../oci/index.js'); export what you need there",
            },
            { regex: `^(?:\\.\\./){${depth + 1}}`, message: 'packages/core/src imports nothing outside itself by a relative path' },
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '.tools/**', '.reports/**', '.demo/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...coreBoundaries,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: {
        process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly',
        clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly',
        TextEncoder: 'readonly', TextDecoder: 'readonly', fetch: 'readonly', performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-control-regex': 'off',
    },
  },
  {
    // Everything the actions write to the runner log goes through packages/core/src/action/log.ts, which keeps
    // untrusted text from being read as workflow commands (docs/security.md).
    files: ['packages/core/src/**/*.ts', 'actions/*/src/**/*.ts'],
    ignores: ['packages/core/src/action/log.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['info', 'warning', 'error', 'notice', 'debug', 'startGroup', 'endGroup', 'group', 'setFailed', 'issueCommand', 'issue'].map((property) => ({
          object: 'core',
          property,
          message: 'log through actionLog (packages/core/src/action/log.ts): it neutralises workflow commands in untrusted text',
        })),
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name=/^(stdout|stderr)$/]",
          message: 'log through actionLog (packages/core/src/action/log.ts): the runner reads every output line as a possible workflow command',
        },
        { selector: "MemberExpression[object.name='console']", message: 'log through actionLog (packages/core/src/action/log.ts)' },
      ],
    },
  },
);
