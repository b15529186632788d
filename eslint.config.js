import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Import boundaries (STYLE "Who may import whom"; README "Adding a channel"). Each rule set is
// complete for the files it names: in flat config a later entry replaces a rule, it does not add.
const IMPURE_LAYERS = {
  regex: '(^|/)(queue|store|http|media|services|cli)/',
  allowTypeImports: true,
  message:
    "a channel's pure half (compose, render, classify) and its platform client import no queue, store, http, media or services: hand the impure parts in",
};
const ANOTHER_CHANNEL = {
  regex: '^\\.\\./(?!graph/)[^./][^/]*/',
  message: 'a channel never imports another channel (graph/ is shared by facebook and instagram)',
};
const PLATFORMS = ['x', 'facebook', 'instagram', 'mastodon', 'bluesky', 'graph'];
const PURE_FILES = [
  ...PLATFORMS.map((name) => `src/channels/${name}/**/*.ts`),
  ...['atom', 'context', 'document', 'entry-fields', 'feed-model', 'json-feed', 'render', 'rss', 'urls', 'xml-slots'].map(
    (name) => `src/channels/feeds/${name}.ts`,
  ),
  ...['render', 'render-*', 'tokens', 'letters', 'name', 'jobs'].map((name) => `src/channels/newsletter/${name}.ts`),
];
const restrict = (files, patterns, ignores = []) => ({
  files,
  ignores,
  rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
});
export const BOUNDARIES = [
  restrict(['src/channels/*/**/*.ts'], [ANOTHER_CHANNEL]),
  restrict(PURE_FILES, [ANOTHER_CHANNEL, IMPURE_LAYERS], ['src/channels/*/module.ts']),
  restrict(['src/domain/**/*.ts'], [{ regex: '^\\.\\./', message: 'domain/ imports nothing of ours outside domain/' }]),
  restrict(
    ['src/http/**/*.ts'],
    [{ regex: '(^|/)queue/', message: 'http/ never reaches into queue/: go through services/ or a channel module' }],
  ),
  restrict(
    ['src/app.ts'],
    [
      {
        regex: '(^|/)channels/(?!module\\.js$|modules\\.js$)',
        message: 'the composition root names no channel: add it to channels/modules.ts',
      },
    ],
  ),
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-control-regex': 'off',
      // Only config/ reads the environment (STYLE: configuration is loaded once, then frozen).
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read configuration through config/load.ts' }],
    },
  },
  ...BOUNDARIES,
  {
    files: ['config/**', 'src/cli/**', 'tests/**', 'bench/**', 'vitest.config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', setTimeout: 'readonly' } },
  },
  {
    // Plain JavaScript that must run without tsx (the benchmark's compiled-build worker).
    files: ['bench/**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', setInterval: 'readonly', performance: 'readonly' },
    },
  },
);
