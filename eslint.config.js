// Lint: correctness rules of typescript-eslint plus the architecture's one hard boundary —
// the page (src/ui, src/state) never imports the engine, so it loads no kernels and stays
// light; it talks to the engine through the workers' message protocols.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const ENGINE = ['tensor', 'gpu', 'nn', 'losses'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'test-results/**', 'playwright-report/**', 'runs/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      // Kernels and tests pass loosely typed attrs and host arrays on purpose.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-unused-expressions': ['error', { allowTernary: true, allowShortCircuit: true }],
      'no-constant-condition': ['error', { checkLoops: false }],
      // `inputs[i++]` cursors and catch-and-rethrow as typed DataFileErrors (with the message) are intended.
      'no-useless-assignment': 'off',
      'preserve-caught-error': 'off',
      'prefer-const': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['src/ui/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
  {
    // Searching raw protobuf bytes for a field tag is what the ONNX checks do.
    files: ['e2e/**', 'tests/**'],
    rules: { 'no-control-regex': 'off' },
  },
  {
    files: ['src/ui/**', 'src/state/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ENGINE.flatMap((d) => [`../${d}/*`, `../../${d}/*`, `../../../${d}/*`, `../${d}`, `../../${d}`]),
              message:
                'the page (src/ui, src/state) must not import engine internals (src/tensor, src/gpu, src/nn, src/losses): talk to the training worker through src/train/protocol.ts',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', 'scripts/**', 'bin/**', 'tools/**'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
);
