/**
 * Child process of bench/newsletter.ts: the publish and newsletter workers of a Syndicate on a
 * database already holding the subscribers, either from the sources through tsx (as
 * `npm start` runs) or from the compiled build (as the Docker image runs; BENCH_BUILD=1).
 * Publishes one article, reports when its plan (every ledger row and batch job) is done, and
 * when told to stop, its peak RSS. Plain JavaScript, so the compiled form runs without tsx.
 */
const base = process.env.BENCH_BUILD ? '../dist/' : '../';
const [{ loadConfig }, { createSyndicate }, { createLogger }] = await Promise.all([
  import(`${base}config/load.js`),
  import(`${base}src/app.js`),
  import(`${base}src/logger.js`),
]);

const env = JSON.parse(process.env.BENCH_ENV ?? '{}');
const article = JSON.parse(process.env.BENCH_ARTICLE ?? '{}');
const { config } = loadConfig(env, { cwd: env.DATA_DIR });
const syndicate = await createSyndicate(config, createLogger('warn'));
await syndicate.startWorkers(['publish', 'newsletter']);

const samples = [];
if (process.env.BENCH_MEMORY_DETAIL) {
  setInterval(() => {
    const m = process.memoryUsage();
    samples.push([m.rss, m.heapTotal, m.heapUsed, m.external].map((v) => Math.round(v / 1048576)).join('/'));
  }, 1000).unref();
}

// BENCH_HEAP_PROF=<file>: a sampling heap profile of the sending, counting what survived the
// young generation and was then freed by a major GC (the promoted garbage that grows the heap).
let heapSession;
if (process.env.BENCH_HEAP_PROF) {
  const { Session } = await import('node:inspector/promises');
  heapSession = new Session();
  heapSession.connect();
  await heapSession.post('HeapProfiler.enable');
  await heapSession.post('HeapProfiler.startSampling', {
    samplingInterval: 16384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: false,
  });
}

const started = performance.now();
await syndicate.service.submit(article);
for (;;) {
  const plan = await syndicate.deliveries.get({ articleId: article.id, channel: 'newsletter', target: '' });
  if (plan?.state === 'sent') break;
  await new Promise((resolve) => setTimeout(resolve, 10));
}
process.send?.({ planned: performance.now() - started });

process.on('message', async () => {
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  if (heapSession) {
    const { profile } = await heapSession.post('HeapProfiler.stopSampling');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(process.env.BENCH_HEAP_PROF, JSON.stringify(profile));
  }
  if (process.env.BENCH_MEMORY_DETAIL) console.error('rss/heapTotal/heapUsed/external MB each second:', samples.join(' '));
  await syndicate.close();
  process.send?.({ maxRssMb }, () => process.exit(0));
});
