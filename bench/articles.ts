/** Realistic articles for benchmarks: a few paragraphs, categories, tags, an image. */
import type { Article } from '../src/domain/article.js';
import { parseArticle } from '../src/domain/article.js';

const paragraph =
  'Zamir Kabulov, the special envoy, said on Tuesday that no talks were planned, because the other side had made no approach. ' +
  'Analysts in Islamabad and New Delhi see the missing channel as a risk to regional security & trade.';

export function benchArticleInput(i: number): Record<string, unknown> {
  return {
    id: `bench-${i}`,
    url: `https://desk.example/2026/01/${String((i % 28) + 1).padStart(2, '0')}/story-${i}`,
    title: `Story number ${i}: envoys meet in Moscow as talks stall — “no contact, no conversation”`,
    contentHtml: `<p>${paragraph}</p><h2>Background</h2><p>${paragraph}</p><blockquote>“No contact,” he said.</blockquote><p>${paragraph}</p>`,
    authors: [{ name: 'Desk Staff', url: 'https://desk.example/staff' }],
    categories: ['South Asia', i % 2 ? 'Diplomacy' : 'Security'],
    tags: ['Afghanistan', 'Russia', 'United States'],
    image: { url: `https://desk.example/media/${i}.jpg`, alt: 'A press conference' },
    publishedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
  };
}

export function benchArticles(count: number): Article[] {
  return Array.from({ length: count }, (_, i) => {
    const parsed = parseArticle(benchArticleInput(i), { channelNames: [], now: new Date() });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    return parsed.value.article;
  }).reverse();
}
