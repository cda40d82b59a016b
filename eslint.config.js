// ESLint flat config: typescript-eslint's recommended rules over src/ and test/; browser globals for the pages' scripts.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'coverage/', 'src/**/public/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'vitest.config.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Control characters and combining marks are matched on purpose when cleaning user text.
      'no-control-regex': 'off',
      'no-misleading-character-class': 'off',
    },
  },
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  { files: ['src/**/public/**/*.js'], languageOptions: { globals: { ...globals.browser } } },
  { files: ['eslint.config.js'], languageOptions: { globals: { ...globals.node } } },
);
