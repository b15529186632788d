/**
 * `npm run bench`: every benchmark, each printed beside a baseline measured in the same run.
 * Machines are noisy; compare the ratios, not the absolute numbers.
 * Needs Redis at REDIS_URL (default redis://127.0.0.1:6379).
 */
import { benchFeedRender } from './feed-render.js';
import { benchFeedRebuild } from './feed-rebuild.js';
import { benchFeedServe } from './feed-serve.js';
import { benchIngest } from './ingest.js';
import { benchPublishToFeed } from './publish-to-feed.js';
import { benchNewsletter } from './newsletter.js';
import { benchMemory } from './memory.js';
import { benchSoak } from './soak.js';
import { benchSocial } from './social.js';
import { benchGrowth } from './growth.js';
import { printRows, printSummary } from './stats.js';

const only = process.argv.slice(2);
const suites: Array<[string, () => Promise<import('./stats.js').Row[]>]> = [
  ['feed-render', benchFeedRender],
  ['feed-rebuild', benchFeedRebuild],
  ['publish-to-feed', benchPublishToFeed],
  ['feed-serve', benchFeedServe],
  ['ingest', benchIngest],
  ['social', benchSocial],
  ['newsletter', benchNewsletter],
  ['memory', benchMemory],
  // Minutes of filling 100,000 articles: only when named, `npm run bench -- growth`.
  ...(only.includes('growth') ? [['growth', benchGrowth] as [string, () => Promise<import('./stats.js').Row[]>]] : []),
  // An hour long (BENCH_SOAK_MINUTES): only when named, `npm run bench -- soak`.
  ...(only.includes('soak') ? [['soak', benchSoak] as [string, () => Promise<import('./stats.js').Row[]>]] : []),
];

console.log(`# Syndicate benchmarks — node ${process.version}, ${new Date().toISOString()}`);
for (const [name, run] of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  printRows(name, await run());
}
printSummary();
process.exit(0);
