/**
 * Article images for the platform channels: the source is fetched once (size cap, time-out,
 * type and magic-byte checks, no private addresses unless MEDIA_ALLOW_PRIVATE) and kept; each
 * channel's variant is made from it once, as the channel's image spec says, stored, and served
 * at /media/:id/:name.jpg (or .png).
 */
import { createHash } from 'node:crypto';
import type { Article } from '../domain/article.js';
import { fetchImage } from '../media/fetch-image.js';
import { type ImageVariantSpec, makeImageVariant } from '../media/image-variant.js';
import type { MediaStore } from '../store/media.js';

export interface PreparedImage {
  data: Buffer;
  mimeType: string;
  /** The public URL it is served at. */
  url: string;
  width: number;
  height: number;
}

export interface ImageLibraryOptions {
  publicBaseUrl: string;
  allowPrivate: boolean;
}

// What GET /media/:id/:file serves; 'source' is the fetched original, which is never served.
const VARIANT_NAME = /^[a-z0-9-]{1,32}$/;

export class ImageLibrary {
  constructor(
    private readonly media: MediaStore,
    private readonly options: ImageLibraryOptions,
  ) {}

  /**
   * The variant of `sourceUrl` (default: the article's image) that `spec` describes, stored
   * under `spec.name`; null without an image. Made once per article and source URL.
   */
  async variant(article: Article, spec: ImageVariantSpec, sourceUrl = article.image?.url): Promise<PreparedImage | null> {
    const { name } = spec;
    if (!VARIANT_NAME.test(name) || name === 'source') {
      throw new RangeError(`image variant name ${JSON.stringify(name)} must be 1–32 of a-z, 0-9 and -, and not "source"`);
    }
    if (!sourceUrl) return null;
    const stored = await this.media.get(article.id, name);
    if (stored && stored.sourceUrl === sourceUrl) return this.prepared(article.id, name, stored);

    const source = await this.source(article.id, sourceUrl);
    const made = await makeImageVariant(source, spec);
    const record = {
      articleId: article.id,
      variant: name,
      sourceUrl,
      contentType: made.mimeType,
      body: made.data,
      width: made.width,
      height: made.height,
      etag: `"${createHash('sha256').update(made.data).digest('base64url').slice(0, 27)}"`,
      createdAt: new Date(),
    };
    await this.media.put(record);
    return this.prepared(article.id, name, record);
  }

  /** The original bytes, fetched at most once per article and URL. */
  private async source(articleId: string, sourceUrl: string): Promise<Buffer> {
    const stored = await this.media.get(articleId, 'source');
    if (stored && stored.sourceUrl === sourceUrl) return stored.body;
    const fetched = await fetchImage(sourceUrl, { allowPrivate: this.options.allowPrivate });
    await this.media.put({
      articleId,
      variant: 'source',
      sourceUrl,
      contentType: fetched.contentType,
      body: fetched.data,
      width: null,
      height: null,
      etag: `"${createHash('sha256').update(fetched.data).digest('base64url').slice(0, 27)}"`,
      createdAt: new Date(),
    });
    return fetched.data;
  }

  private prepared(
    articleId: string,
    name: string,
    stored: { body: Buffer; contentType: string; width: number | null; height: number | null },
  ): PreparedImage {
    const file = `${name}.${stored.contentType === 'image/png' ? 'png' : 'jpg'}`;
    return {
      data: stored.body,
      mimeType: stored.contentType,
      url: `${this.options.publicBaseUrl}/media/${encodeURIComponent(articleId)}/${file}`,
      width: stored.width ?? 0,
      height: stored.height ?? 0,
    };
  }
}
