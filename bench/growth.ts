/**
 * Growth: what the per-article work costs as the archive grows to 10× and 100× (1,000 →
 * 10,000 → 100,000 published articles in SQLite). Each figure stands beside the same figure at
 * 1,000 articles measured in this run; a ratio near 1 means the cost does not grow.
 *   - storing one article (the ingest write: article, revision and categories in one transaction);
 *   - reading the site feed's 50 newest items, a category feed's, and a rare category's (every
 *     rebuild does these);
 *   - listing every category slug (a full rebuild at start-up does this once).
 * Runs only when named (`npm run bench -- growth`): filling 100,000 articles takes minutes.
 * BENCH_GROWTH_MAX lowers the top (e.g. 10000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { ArticleStore } from '../src/store/articles.js';
import type { ArticleRecord } from '../src/domain/article.js';
import { benchArticles } from './articles.js';
import { fmt, timeMedian, type Row } from './stats.js';

const MAX = Number(process.env.BENCH_GROWTH_MAX ?? 100_000);
const SIZES = [1000, 10_000, 100_000].filter((size) => size <= MAX);
const TEMPLATE = benchArticles(1)[0]!;

// One article in 100 is also in a rare category, whose feed must not cost a scan of the archive.
const RARE = { name: 'Rare', slug: 'rare' };

function record(i: number, now: Date): ArticleRecord {
  return {
    ...TEMPLATE,
    categories: i % 100 === 0 ? [...TEMPLATE.categories, RARE] : TEMPLATE.categories,
    id: `growth-${i}`,
    url: `https://desk.example/2026/story-${i}`,
    publishedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000),
    revision: 1,
    state: 'published',
    contentHash: `growth-${i}`,
    createdAt: now,
    updatedAt: now,
    retractedAt: null,
  };
}

interface Figures {
  insertMs: number;
  siteMs: number;
  categoryMs: number;
  rareMs: number;
  slugsMs: number;
}

export async function benchGrowth(): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'syndicate-bench-growth-'));
  const database = await openDatabase(`sqlite:${path.join(dir, 'syndicate.db')}`);
  const figures = new Map<number, Figures>();
  try {
    await migrateToLatest(database);
    const store = new ArticleStore(database);
    let stored = 0;
    for (const size of SIZES) {
      const now = new Date();
      // Fill up to just below `size`, then time the last 200 writes: the write at this size.
      while (stored < size - 200) await store.insert(record(stored++, now));
      const started = performance.now();
      while (stored < size) await store.insert(record(stored++, now));
      figures.set(size, {
        insertMs: (performance.now() - started) / 200,
        siteMs: await timeMedian(() => store.listPublished({ limit: 50 }), 20),
        categoryMs: await timeMedian(() => store.listPublished({ limit: 50, categorySlug: 'south-asia' }), 20),
        rareMs: await timeMedian(() => store.listPublished({ limit: 50, categorySlug: RARE.slug }), 20),
        slugsMs: await timeMedian(() => store.listCategorySlugs(), 5, 1),
      });
    }
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const first = figures.get(SIZES[0]!)!;
  const rows: Row[] = [];
  const measures: Array<[keyof Figures, string]> = [
    ['insertMs', 'store one article'],
    ['siteMs', 'read the site feed (50 newest)'],
    ['categoryMs', 'read a category feed (50 newest)'],
    ['rareMs', 'read a rare category feed (1 article in 100)'],
    ['slugsMs', 'list every category (start-up rebuild)'],
  ];
  for (const [key, label] of measures) {
    for (const size of SIZES.slice(1)) {
      const ours = figures.get(size)![key];
      rows.push({
        benchmark: `${label} at ${size.toLocaleString('en')} articles`,
        ours: fmt(ours, 'ms', 3),
        baseline: `${fmt(first[key], 'ms', 3)} (at ${SIZES[0]!.toLocaleString('en')})`,
        ratio: `${(ours / first[key]).toFixed(2)}×`,
        target: 'informational',
        figures: { ours, baseline: first[key], ratio: ours / first[key], unit: 'ms' },
      });
    }
  }
  return rows;
}
