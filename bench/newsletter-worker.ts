/**
 * Child process of bench/newsletter.ts: the publish and newsletter workers of a Syndicate on
 * a database already holding the subscribers. Publishes one article, reports when its plan
 * (the ledger rows and batch jobs of every subscriber) is done, and at the end its peak RSS.
 * Talks to the parent over IPC: { planned: ms } then, when told to stop, { maxRssMb }.
 */
import { loadConfig } from '../config/load.js';
import { createSyndicate } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { benchArticleInput } from './articles.js';

const env = JSON.parse(process.env.BENCH_ENV ?? '{}') as Record<string, string>;
const { config } = loadConfig(env, { cwd: env.DATA_DIR ?? process.cwd() });
const syndicate = await createSyndicate(config, createLogger('warn'));
await syndicate.startWorkers(['publish', 'newsletter']);

const samples: string[] = [];
if (process.env.BENCH_MEMORY_DETAIL) {
  setInterval(() => {
    const m = process.memoryUsage();
    samples.push([m.rss, m.heapTotal, m.heapUsed, m.external].map((v) => Math.round(v / 1048576)).join('/'));
  }, 1000).unref();
}
const started = performance.now();
// The same article the raw baseline renders (bench/articles.ts).
await syndicate.service.submit({ ...benchArticleInput(0), id: 'bench-newsletter' });
for (;;) {
  const plan = await syndicate.deliveries.get({ articleId: 'bench-newsletter', channel: 'newsletter', target: '' });
  if (plan?.state === 'sent') break;
  await new Promise((resolve) => setTimeout(resolve, 10));
}
process.send?.({ planned: performance.now() - started });

process.on('message', async () => {
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  if (process.env.BENCH_MEMORY_DETAIL) {
    console.error('rss/heapTotal/heapUsed/external MB each second:', samples.join(' '));
    console.error('before gc', JSON.stringify(process.memoryUsage()));
    (globalThis as { gc?: () => void }).gc?.();
    console.error('after gc', JSON.stringify(process.memoryUsage()));
  }
  await syndicate.close();
  process.send?.({ maxRssMb }, () => process.exit(0));
});
