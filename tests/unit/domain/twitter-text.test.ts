/**
 * twitter-text must load without core-js's split polyfill, whose feature test puts V8's
 * regular expressions on their slow path for the whole process (src/domain/twitter-text.ts).
 * Checked in a fresh Node process: the test runner's own may have loaded twitter-text already.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const wrapper = fileURLToPath(new URL('../../../src/domain/twitter-text.ts', import.meta.url));

describe('twitter-text as the channels load it', () => {
  it('never runs the split polyfill, and still counts like X', () => {
    const script = `
      import { createRequire } from 'node:module';
      import path from 'node:path';
      const { default: twitterText } = await import(${JSON.stringify(wrapper)});
      const require = createRequire(${JSON.stringify(wrapper)});
      const polyfill = require.resolve('core-js/modules/es6.regexp.split', { paths: [path.dirname(require.resolve('twitter-text'))] });
      console.log(JSON.stringify({
        // The real module requires core-js helpers; the stand-in requires nothing.
        stubbed: require.cache[polyfill]?.children.length === 0,
        weighted: twitterText.parseTweet('Kabul talks https://news.example.com/a #Afghanistan').weightedLength,
        split: 'a,b,,c'.split(/,/),
      }));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ stubbed: true, weighted: 48, split: ['a', 'b', '', 'c'] });
  });
});
