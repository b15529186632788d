/**
 * twitter-text, loaded without one of its core-js 2 polyfills.
 *
 * twitter-text 3 requires `core-js/modules/es6.regexp.split`, whose feature test sets a
 * `constructor` on a RegExp instance. That trips V8's RegExp species protector, which switches
 * off the fast paths of *every* regular expression in the process, for good: measured, a
 * header-normalising `replace` in nodemailer ran 3–4× slower once twitter-text was loaded,
 * which cost the newsletter a third of its throughput. Node's own split needs no polyfill.
 * So that one module is registered as already loaded (an empty module) before twitter-text
 * is required; the other polyfills it pulls in do not touch RegExp.prototype's fast paths.
 * Every channel that counts with twitter-text (X; Mastodon for its top-level domains) imports it from here.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const twitterTextMain = require.resolve('twitter-text');
const splitPolyfill = require.resolve('core-js/modules/es6.regexp.split', { paths: [path.dirname(twitterTextMain)] });
if (!(splitPolyfill in require.cache)) {
  const stub = new (require('node:module') as typeof import('node:module')).Module(splitPolyfill);
  stub.filename = splitPolyfill;
  stub.loaded = true;
  require.cache[splitPolyfill] = stub;
}

const twitterText = require('twitter-text') as typeof import('twitter-text');
export default twitterText;
