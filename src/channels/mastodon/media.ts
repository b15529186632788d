/**
 * Uploading the article's image: `POST /api/v2/media` (multipart: `file`, `description`). The
 * answer is 200 when the instance processed the image at once, 202 while it still does; then
 * `GET /api/v1/media/:id` answers 206 until the attachment has its `url`, and only then may a
 * status attach it (Mastodon refuses unprocessed media with a 422).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MastodonMediaProcessingError, MastodonResponseError } from './errors.js';
import { jsonField, type MastodonAnswer, type MastodonRequester } from './http.js';

/** An image ready for Mastodon (JPEG or PNG, see image-spec.ts). */
export interface MastodonImage {
  data: Buffer;
  mimeType: string;
}

/** How long to wait for an image the instance processes in the background. */
export interface MediaPollOptions {
  /** The most status reads after the upload. @defaultValue 10 */
  maxPolls: number;
  /** The wait before the first read; each next one waits twice as long, up to 2 s. @defaultValue 250 */
  firstDelayMs: number;
  /** No read starts later than this after the upload, in milliseconds (the request time-out). */
  budgetMs: number;
}

/** @defaultValue for {@link MediaPollOptions.maxPolls} */
export const MASTODON_MEDIA_MAX_POLLS = 10;
/** @defaultValue for {@link MediaPollOptions.firstDelayMs} */
export const MASTODON_MEDIA_FIRST_POLL_DELAY_MS = 250;
const MAX_POLL_DELAY_MS = 2_000;

/** Uploads `image` with its description and returns the media id once the instance has processed it. */
export async function uploadMedia(
  request: MastodonRequester,
  image: MastodonImage,
  description: string,
  poll: MediaPollOptions,
): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(image.data)], { type: image.mimeType }), fileName(image.mimeType));
  if (description !== '') form.append('description', description);
  const answer = await request('POST', '/api/v2/media', { form });
  const id = mediaId(answer, '/api/v2/media');
  if (answer.status === 200 && hasUrl(answer)) return id;
  await waitForMedia(request, id, poll);
  return id;
}

async function waitForMedia(request: MastodonRequester, id: string, poll: MediaPollOptions): Promise<void> {
  const started = performance.now();
  let delay = poll.firstDelayMs;
  for (let count = 0; count < poll.maxPolls; count++) {
    if (performance.now() - started + delay > poll.budgetMs) break;
    await sleep(delay);
    const answer = await request('GET', `/api/v1/media/${encodeURIComponent(id)}`);
    // 206: still processing. A processing failure is a 422, thrown by the request.
    if (answer.status === 200 && hasUrl(answer)) return;
    delay = Math.min(delay * 2, MAX_POLL_DELAY_MS);
  }
  throw new MastodonMediaProcessingError(id, Math.round(performance.now() - started));
}

function mediaId(answer: MastodonAnswer, path: string): string {
  const id = jsonField(answer.body, 'id');
  if (typeof id === 'string' && id !== '') return id;
  throw new MastodonResponseError({ method: 'POST', path }, answer.status, answer.headers, answer.body, 'no media id in the answer');
}

function hasUrl(answer: MastodonAnswer): boolean {
  const url = jsonField(answer.body, 'url');
  return typeof url === 'string' && url !== '';
}

function fileName(mimeType: string): string {
  const extension = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp' }[mimeType] ?? 'bin';
  return `image.${extension}`;
}
