/**
 * ArticleStore against real SQLite and PostgreSQL (nothing faked).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArticleRecord } from '../../../src/domain/article.js';
import { ArticleStore, InvalidCursorError } from '../../../src/store/articles.js';
import type { Database } from '../../../src/store/database.js';
import { databaseTargets } from '../../helpers/database.js';
import { articleRecord, minutesAfter, T0 } from './article-records.js';

describe.each(databaseTargets())('ArticleStore on $name', (target) => {
  let database: Database;
  let articles: ArticleStore;

  beforeEach(async () => {
    database = await target.open();
    articles = new ArticleStore(database);
  });

  afterEach(async () => {
    await database.close();
  });

  async function publish(record: ArticleRecord): Promise<void> {
    expect(await articles.insert(record)).toBe(true);
    expect(await articles.markPublished(record.id, record.publishedAt)).toBe(true);
  }

  it('returns exactly what it stored, Unicode and markup included', async () => {
    const record = articleRecord('unicode-1', {
      title: 'Ünïcödé 🎉 — مرحبا بالعالم — 你好，世界',
      summary: 'Ends a CDATA section: ]]> and keeps <tags> & "quotes"',
      contentHtml: '<p dir="rtl">שלום עולם</p><p>👩🏽‍💻 絵文字 ]]&gt; ]]></p>',
      authors: [{ name: 'Zoë Ŝtraße', url: 'https://news.example/zoe' }, { name: '李雷' }],
      categories: [
        { name: 'South Asia', slug: 'south-asia' },
        { name: 'العالم', slug: 'al-alam' },
      ],
      tags: ['🌍', 'élection'],
      image: { url: 'https://news.example/i.jpg', alt: 'Ein Bild „mit“ Anführungszeichen', credit: '© Ñandú' },
      channels: { x: false, facebook: { text: 'Read this 👉' } },
      publishedAt: new Date('2025-03-01T08:00:00.123Z'),
      retractedAt: null,
    });

    expect(await articles.insert(record)).toBe(true);

    expect(await articles.get('unicode-1')).toEqual(record);
  });

  it('returns null for an article it does not have', async () => {
    expect(await articles.get('missing')).toBeNull();
  });

  it('refuses a second insert of the same id and keeps the first', async () => {
    const first = articleRecord('dup', { title: 'First' });
    await articles.insert(first);

    expect(await articles.insert(articleRecord('dup', { title: 'Second' }))).toBe(false);

    expect((await articles.get('dup'))?.title).toBe('First');
    expect(await articles.revisions('dup')).toHaveLength(1);
  });

  it('updates when the stored revision is the expected one', async () => {
    await articles.insert(articleRecord('upd'));
    const next = articleRecord('upd', { title: 'New title', revision: 2, updatedAt: minutesAfter(T0, 5) });

    expect(await articles.update(next, 1)).toBe(true);

    expect(await articles.get('upd')).toEqual(next);
  });

  it('refuses an update based on a stale revision and leaves the article alone', async () => {
    await articles.insert(articleRecord('stale'));
    await articles.update(articleRecord('stale', { title: 'Second', revision: 2 }), 1);

    const stale = articleRecord('stale', { title: 'Lost update', revision: 2 });
    expect(await articles.update(stale, 1)).toBe(false);

    expect((await articles.get('stale'))?.title).toBe('Second');
    expect((await articles.revisions('stale')).map((r) => r.revision)).toEqual([1, 2]);
  });

  it('refuses an update of an article that does not exist', async () => {
    expect(await articles.update(articleRecord('ghost', { revision: 2 }), 1)).toBe(false);
    expect(await articles.revisions('ghost')).toEqual([]);
  });

  it('rejects an update whose new revision does not move forward', async () => {
    await articles.insert(articleRecord('same'));
    await expect(articles.update(articleRecord('same', { revision: 1 }), 1)).rejects.toThrow(RangeError);
  });

  it('records every revision with its time and the whole article as it was', async () => {
    await articles.insert(articleRecord('rev', { title: 'One' }));
    await articles.update(articleRecord('rev', { title: 'Two', revision: 2, updatedAt: minutesAfter(T0, 1) }), 1);
    await articles.update(articleRecord('rev', { title: 'Three', revision: 3, updatedAt: minutesAfter(T0, 2) }), 2);

    expect(await articles.revisions('rev')).toEqual([
      { revision: 1, createdAt: T0 },
      { revision: 2, createdAt: minutesAfter(T0, 1) },
      { revision: 3, createdAt: minutesAfter(T0, 2) },
    ]);
    const bodies = await database.db
      .selectFrom('article_revisions')
      .select(['revision', 'body'])
      .where('article_id', '=', 'rev')
      .orderBy('revision')
      .execute();
    expect(bodies.map((row) => (JSON.parse(row.body) as { title: string }).title)).toEqual(['One', 'Two', 'Three']);
  });

  it('replaces the category index when an update changes the categories', async () => {
    await publish(
      articleRecord('cat', {
        categories: [
          { name: 'World', slug: 'world' },
          { name: 'Asia', slug: 'asia' },
        ],
      }),
    );
    const published = await articles.get('cat');
    if (!published) throw new Error('article missing');

    await articles.update({ ...published, categories: [{ name: 'Sport', slug: 'sport' }], revision: 2 }, 1);

    expect(await articles.listPublished({ limit: 10, categorySlug: 'world' })).toEqual([]);
    expect((await articles.listPublished({ limit: 10, categorySlug: 'sport' })).map((a) => a.id)).toEqual(['cat']);
    expect(await articles.listCategorySlugs()).toEqual(['sport']);
  });

  it('publishes a scheduled article once', async () => {
    await articles.insert(articleRecord('pub'));

    expect(await articles.markPublished('pub', minutesAfter(T0, 1))).toBe(true);
    expect(await articles.markPublished('pub', minutesAfter(T0, 2))).toBe(false);

    expect(await articles.get('pub')).toMatchObject({ state: 'published', updatedAt: minutesAfter(T0, 1) });
  });

  it('retracts an article once, recording when, and never republishes it', async () => {
    await publish(articleRecord('ret'));

    expect(await articles.retract('ret', minutesAfter(T0, 9))).toBe(true);
    expect(await articles.retract('ret', minutesAfter(T0, 10))).toBe(false);
    expect(await articles.markPublished('ret', minutesAfter(T0, 11))).toBe(false);

    expect(await articles.get('ret')).toMatchObject({ state: 'retracted', retractedAt: minutesAfter(T0, 9) });
    expect(await articles.listPublished({ limit: 10 })).toEqual([]);
  });

  it('lists only published articles, newest first, optionally by category', async () => {
    await publish(articleRecord('old-world', { publishedAt: minutesAfter(T0, 1) }));
    await publish(articleRecord('new-asia', { publishedAt: minutesAfter(T0, 3), categories: [{ name: 'Asia', slug: 'asia' }] }));
    await publish(
      articleRecord('mid-both', {
        publishedAt: minutesAfter(T0, 2),
        categories: [
          { name: 'World', slug: 'world' },
          { name: 'Asia', slug: 'asia' },
        ],
      }),
    );
    await articles.insert(articleRecord('scheduled-world', { publishedAt: minutesAfter(T0, 60) }));

    expect((await articles.listPublished({ limit: 10 })).map((a) => a.id)).toEqual(['new-asia', 'mid-both', 'old-world']);
    expect((await articles.listPublished({ limit: 2 })).map((a) => a.id)).toEqual(['new-asia', 'mid-both']);
    expect((await articles.listPublished({ limit: 10, categorySlug: 'world' })).map((a) => a.id)).toEqual(['mid-both', 'old-world']);
    expect(await articles.listPublished({ limit: 10, categorySlug: 'nowhere' })).toEqual([]);
  });

  it('keeps a category feed in publication order when an update moves the publication time', async () => {
    const world = [{ name: 'World', slug: 'world' }];
    await publish(articleRecord('first', { publishedAt: minutesAfter(T0, 1), categories: world }));
    await publish(articleRecord('second', { publishedAt: minutesAfter(T0, 2), categories: world }));
    const first = await articles.get('first');
    if (!first) throw new Error('article missing');

    await articles.update({ ...first, publishedAt: minutesAfter(T0, 3), revision: 2 }, 1);

    expect((await articles.listPublished({ limit: 10, categorySlug: 'world' })).map((a) => a.id)).toEqual(['first', 'second']);
    expect((await articles.listPublished({ limit: 1, categorySlug: 'world' })).map((a) => a.id)).toEqual(['first']);
  });

  it('lists the category slugs that have a published article', async () => {
    await publish(
      articleRecord('a1', {
        categories: [
          { name: 'World', slug: 'world' },
          { name: 'Asia', slug: 'asia' },
        ],
      }),
    );
    await publish(articleRecord('a2', { categories: [{ name: 'World', slug: 'world' }] }));
    await articles.insert(articleRecord('a3', { categories: [{ name: 'Sport', slug: 'sport' }] }));
    await publish(articleRecord('a4', { categories: [{ name: 'Culture', slug: 'culture' }] }));
    await articles.retract('a4', minutesAfter(T0, 1));

    expect(await articles.listCategorySlugs()).toEqual(['asia', 'world']);
  });

  it('pages newest first through ties in publication time without repeating or skipping', async () => {
    // Three share one timestamp, so only the id orders them.
    const times: Array<[string, number]> = [
      ['p1', 1],
      ['p2', 2],
      ['tie-a', 3],
      ['tie-b', 3],
      ['tie-c', 3],
      ['p6', 4],
      ['p7', 5],
    ];
    for (const [id, minute] of times) await articles.insert(articleRecord(id, { publishedAt: minutesAfter(T0, minute) }));

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: ArticleRecord[]; nextCursor: string | null } = await articles.list({ limit: 2, cursor });
      seen.push(...page.items.map((a) => a.id));
      cursor = page.nextCursor;
      pages += 1;
      if (pages === 2) {
        // Arrives mid-way: newer than the cursor, so later pages must not show it.
        await articles.insert(articleRecord('latecomer', { publishedAt: minutesAfter(T0, 30) }));
      }
    } while (cursor !== null && pages < 10);

    expect(seen).toEqual(['p7', 'p6', 'tie-c', 'tie-b', 'tie-a', 'p2', 'p1']);
    expect(pages).toBe(4);
  });

  it('ends with a null cursor when the last page is exactly full', async () => {
    await articles.insert(articleRecord('e1', { publishedAt: minutesAfter(T0, 1) }));
    await articles.insert(articleRecord('e2', { publishedAt: minutesAfter(T0, 2) }));

    const page = await articles.list({ limit: 2 });

    expect(page.items.map((a) => a.id)).toEqual(['e2', 'e1']);
    expect(page.nextCursor).toBeNull();
  });

  it('filters the listing by state', async () => {
    await publish(articleRecord('s-pub', { publishedAt: minutesAfter(T0, 1) }));
    await articles.insert(articleRecord('s-sched', { publishedAt: minutesAfter(T0, 2) }));

    expect((await articles.list({ limit: 10, state: 'scheduled' })).items.map((a) => a.id)).toEqual(['s-sched']);
    expect((await articles.list({ limit: 10, state: 'published' })).items.map((a) => a.id)).toEqual(['s-pub']);
  });

  it.each([
    ['not base64url', 'not a cursor!'],
    ['not JSON', Buffer.from('{{{').toString('base64url')],
    ['the wrong shape', Buffer.from(JSON.stringify({ publishedAt: 1, id: 'x' })).toString('base64url')],
    ['a non-integer time', Buffer.from(JSON.stringify(['soon', 'x'])).toString('base64url')],
  ])('rejects a cursor that is %s', async (_label, cursor) => {
    await expect(articles.list({ limit: 2, cursor })).rejects.toThrow(InvalidCursorError);
  });
});
