#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so a fresh clone needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/syndicate.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Everything is closed by now; don't let a stray handle keep a finished command alive.
setTimeout(() => process.exit(code), 2000).unref();
