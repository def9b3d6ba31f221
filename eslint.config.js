import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import libBoundaries from './tools/eslint/lib-boundaries.js';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.parvis/**', 'coverage/**', 'libs/ui/assets/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    plugins: { parvis: { rules: { 'lib-boundaries': libBoundaries } } },
    rules: {
      'parvis/lib-boundaries': 'error',
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-restricted-syntax': [
        'error',
        { selector: "Property[key.name='synchronize'][value.value=true]", message: 'synchronize est interdit : migrations uniquement.' },
        { selector: "CallExpression[callee.object.name='it'][callee.property.name=/^(skip|todo)$/]", message: 'Un test ignoré est un défaut.' },
        { selector: "CallExpression[callee.object.name='describe'][callee.property.name='skip']", message: 'Un test ignoré est un défaut.' },
      ],
    },
  },
  {
    files: ['tools/**/*.{ts,mjs}', 'bench/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
