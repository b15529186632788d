/**
 * The CLI's entry: runs one command and exits with its code. `bin/syndicate.js` runs it from
 * the sources through tsx (a fresh clone needs no build); the Docker image runs the compiled
 * `dist/src/cli/main.js` (no TypeScript compiler in memory: ~40 MB less per process).
 */
import { main } from './syndicate.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Everything is closed by now; don't let a stray handle keep a finished command alive.
setTimeout(() => process.exit(code), 2000).unref();
