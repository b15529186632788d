/**
 * Feed rendering: our renderFeed (RSS + Atom + JSON Feed 1.1, with escaping fixes) against the
 * raw `feed` package rendering the same items (rss2 + atom1 + json1), for 50 and 1,000 items.
 * Then what a rebuild does instead: assemble the same documents from item fragments rendered
 * before, against rendering them whole.
 */
import { Feed } from 'feed';
import { assembleWithinLimit, renderFragment, type FeedFragment } from '../src/channels/feeds/feed-parts.js';
import { renderFeed, type FeedContext, type FeedFormat, type FeedItem } from '../src/channels/feeds/render.js';
import { FEED_FORMATS, feedUrls } from '../src/channels/feeds/urls.js';
import type { Article } from '../src/domain/article.js';
import { feedContext, type FeedSite } from '../src/channels/feeds/context.js';
import { benchArticles } from './articles.js';
import { fmt, timeMedian, type Row } from './stats.js';

export const benchSite: FeedSite = {
  title: 'Bench Desk',
  description: 'Benchmark feed',
  language: 'en',
  siteUrl: 'https://desk.example/',
  publicBaseUrl: 'http://127.0.0.1:8080',
  items: 1000,
  hubs: ['https://hub.example/'],
  rebuildIntervalMs: 0,
};

function renderOurs(articles: Article[]): number {
  const items: FeedItem[] = articles.map((article) => ({ article, updatedAt: article.publishedAt }));
  const context = feedContext(benchSite, feedUrls(benchSite.publicBaseUrl), undefined, new Date(0));
  return renderFeed('rss', items, context).length + renderFeed('atom', items, context).length + renderFeed('json', items, context).length;
}

function assembleOurs(fragments: ReadonlyMap<FeedFormat, FeedFragment[]>, context: FeedContext): number {
  let length = 0;
  for (const format of FEED_FORMATS) length += assembleWithinLimit(format, context, fragments.get(format)!, Infinity).body.length;
  return length;
}

export function renderRaw(articles: Article[]): number {
  const urls = feedUrls(benchSite.publicBaseUrl);
  const feed = new Feed({
    title: benchSite.title,
    description: benchSite.description,
    id: benchSite.siteUrl,
    link: benchSite.siteUrl,
    language: 'en',
    copyright: '',
    updated: new Date(0),
    generator: 'bench',
    feedLinks: { rss: urls.rss, atom: urls.atom, json: urls.json },
    hub: benchSite.hubs[0],
  });
  for (const article of articles) {
    feed.addItem({
      title: article.title,
      id: article.id,
      link: article.url,
      description: article.summary,
      content: article.contentHtml,
      author: article.authors.map((author) => ({ name: author.name, link: author.url })),
      date: article.publishedAt,
      category: article.categories.map((category) => ({ name: category.name })),
      ...(article.image ? { image: article.image.url } : {}),
    });
  }
  return feed.rss2().length + feed.atom1().length + feed.json1().length;
}

export async function benchFeedRender(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const count of [50, 1000]) {
    const articles = benchArticles(count);
    const runs = count === 50 ? 200 : 20;
    const ours = await timeMedian(() => renderOurs(articles), runs);
    const raw = await timeMedian(() => renderRaw(articles), runs);
    rows.push({
      benchmark: `render RSS+Atom+JSON, ${count} items (median)`,
      ours: fmt(ours, 'ms'),
      baseline: `${fmt(raw, 'ms')} (raw \`feed\`)`,
      ratio: `${(ours / raw).toFixed(2)}× the time`,
      target: 'informational',
      figures: { ours, baseline: raw, ratio: ours / raw, unit: 'ms' },
    });
  }
  for (const count of [50, 1000]) {
    const items: FeedItem[] = benchArticles(count).map((article) => ({ article, updatedAt: article.publishedAt }));
    const context = feedContext(benchSite, feedUrls(benchSite.publicBaseUrl), undefined, new Date(0));
    const fragments = new Map(FEED_FORMATS.map((format) => [format, items.map((item) => renderFragment(format, item, context))]));
    const runs = count === 50 ? 200 : 20;
    const ours = await timeMedian(() => assembleOurs(fragments, context), runs);
    const whole = await timeMedian(
      () => FEED_FORMATS.reduce((length, format) => length + renderFeed(format, items, context).length, 0),
      runs,
    );
    rows.push({
      benchmark: `assemble RSS+Atom+JSON from kept item fragments, ${count} items (median)`,
      ours: fmt(ours, 'ms'),
      baseline: `${fmt(whole, 'ms')} (renderFeed, whole documents)`,
      ratio: `${(ours / whole).toFixed(3)}× the time`,
      target: 'informational',
      figures: { ours, baseline: whole, ratio: ours / whole, unit: 'ms' },
    });
  }
  return rows;
}
