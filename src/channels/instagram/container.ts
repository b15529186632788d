/**
 * The steps of Instagram's container flow, one Graph call (or poll loop) each: read the
 * publishing quota, create a container, wait for it to be `FINISHED`, publish it, read the
 * permalink; and, for reconciliation, read a container's status and the recent media.
 */
import { edgeData, stringField, type GraphClient, type GraphObject } from '../graph/client.js';
import { GraphResponseError } from '../graph/errors.js';
import { ContainerFailedError, ContainerNotReadyError } from './errors.js';

/** The account's API publishing usage (`content_publishing_limit`). */
export interface PublishingQuota {
  usage: number;
  total: number;
  /** Length of the rolling window, seconds. */
  durationSeconds: number;
}

/** The window Instagram documents when `config.quota_duration` is missing: 24 hours. */
export const DEFAULT_QUOTA_DURATION_SECONDS = 86_400;

function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The quota, or null when the answer does not say (the publish call is then the judge). */
export async function readPublishingQuota(graph: GraphClient, userId: string): Promise<PublishingQuota | null> {
  const answer = await graph.get(`${userId}/content_publishing_limit`, { fields: 'quota_usage,config' });
  const entry = edgeData(answer)?.[0];
  const usage = finiteNumber(entry?.quota_usage);
  const config = entry?.config;
  const total = typeof config === 'object' && config !== null ? finiteNumber((config as GraphObject).quota_total) : undefined;
  if (usage === undefined || total === undefined) return null;
  const duration = finiteNumber((config as GraphObject).quota_duration);
  return { usage, total, durationSeconds: duration && duration > 0 ? duration : DEFAULT_QUOTA_DURATION_SECONDS };
}

/** What a container is made from. */
export interface ContainerInput {
  imageUrl: string;
  caption: string;
  alt: string;
}

/** `POST /{ig-user-id}/media` → the container id. */
export async function createContainer(graph: GraphClient, userId: string, input: ContainerInput): Promise<string> {
  const answer = await graph.post(`${userId}/media`, {
    image_url: input.imageUrl,
    caption: input.caption,
    alt_text: input.alt || undefined,
  });
  const id = stringField(answer, 'id');
  if (!id) throw new GraphResponseError({ method: 'POST', path: `/${userId}/media` }, 'no container id');
  return id;
}

/** A container's state: `IN_PROGRESS`, `FINISHED`, `PUBLISHED`, `ERROR` or `EXPIRED`. */
export interface ContainerStatus {
  statusCode: string;
  /** The explanation Instagram gives with `ERROR`. */
  status: string | undefined;
}

/** `GET /{container-id}?fields=status_code,status`. */
export async function readContainerStatus(graph: GraphClient, containerId: string): Promise<ContainerStatus> {
  const answer = await graph.get(containerId, { fields: 'status_code,status' });
  const statusCode = stringField(answer, 'status_code');
  if (!statusCode) throw new GraphResponseError({ method: 'GET', path: `/${containerId}` }, 'no status_code');
  return { statusCode, status: stringField(answer, 'status') };
}

/** How {@link waitForContainer} polls. */
export interface PollOptions {
  /** Wait before the first poll; doubles after each, up to 5×. */
  pollIntervalMs: number;
  maxPolls: number;
  sleep: (ms: number) => Promise<void>;
}

/**
 * Polls until the container is `FINISHED`. `ERROR`/`EXPIRED` throw {@link ContainerFailedError};
 * still not finished after `maxPolls` throws {@link ContainerNotReadyError}. `PUBLISHED` (someone
 * published it meanwhile) also throws the latter: the retry's reconciliation finds the post.
 */
export async function waitForContainer(graph: GraphClient, containerId: string, options: PollOptions): Promise<void> {
  let statusCode = 'IN_PROGRESS';
  for (let poll = 0; poll < options.maxPolls; poll++) {
    await options.sleep(Math.min(options.pollIntervalMs * 2 ** poll, options.pollIntervalMs * 5));
    const status = await readContainerStatus(graph, containerId);
    statusCode = status.statusCode;
    if (statusCode === 'FINISHED') return;
    if (statusCode === 'ERROR' || statusCode === 'EXPIRED') throw new ContainerFailedError(containerId, statusCode, status.status);
    if (statusCode === 'PUBLISHED') break;
  }
  throw new ContainerNotReadyError(containerId, statusCode, options.maxPolls);
}

/** `POST /{ig-user-id}/media_publish` → the media id. */
export async function publishContainer(graph: GraphClient, userId: string, containerId: string): Promise<string> {
  const answer = await graph.post(`${userId}/media_publish`, { creation_id: containerId });
  const id = stringField(answer, 'id');
  if (!id) throw new GraphResponseError({ method: 'POST', path: `/${userId}/media_publish` }, 'no media id');
  return id;
}

/** `GET /{media-id}?fields=permalink`. */
export async function readPermalink(graph: GraphClient, mediaId: string): Promise<string | null> {
  const answer = await graph.get(mediaId, { fields: 'permalink' });
  return stringField(answer, 'permalink') ?? null;
}

/** One of the account's posts, as `find` reads them. */
export interface RecentMedia {
  id: string;
  caption: string;
  permalink: string | null;
  /** When it was posted; null when Instagram did not say. */
  timestamp: Date | null;
}

/** How many recent posts `find` reads: a lost answer is looked for minutes later, not days. */
export const RECENT_MEDIA_LIMIT = 25;

/** Graph writes offsets as `+0000`; Date.parse wants `+00:00`. */
export function parseGraphTime(value: string | undefined): Date | null {
  if (!value) return null;
  const time = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(time) ? null : new Date(time);
}

/** `GET /{ig-user-id}/media?fields=id,caption,permalink,timestamp&limit=25`, newest first. */
export async function readRecentMedia(graph: GraphClient, userId: string): Promise<RecentMedia[]> {
  const answer = await graph.get(`${userId}/media`, { fields: 'id,caption,permalink,timestamp', limit: RECENT_MEDIA_LIMIT });
  const data = edgeData(answer);
  if (!data) throw new GraphResponseError({ method: 'GET', path: `/${userId}/media` }, 'no data array');
  return data.flatMap((item) => {
    const id = stringField(item, 'id');
    if (!id) return [];
    return [
      {
        id,
        caption: stringField(item, 'caption') ?? '',
        permalink: stringField(item, 'permalink') ?? null,
        timestamp: parseGraphTime(stringField(item, 'timestamp')),
      },
    ];
  });
}
