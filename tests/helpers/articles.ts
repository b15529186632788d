/** A realistic, already normalised article for channel tests; override what a test is about. */
import type { Article } from '../../src/domain/article.js';

export function makeArticle(overrides: Partial<Article> = {}): Article {
  return {
    id: 'harbour-bridge-reopens',
    url: 'https://news.example.com/city/harbour-bridge-reopens',
    title: 'Harbour bridge reopens after repairs',
    summary: 'The bridge carries traffic again from Monday.',
    contentHtml: '',
    authors: [],
    categories: [],
    tags: ['bridge'],
    image: null,
    publishedAt: new Date('2026-03-02T08:00:00.000Z'),
    channels: {},
    ...overrides,
  };
}
