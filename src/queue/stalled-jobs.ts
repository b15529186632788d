/**
 * A job whose workers kept dying under it (BullMQ failed it: "job stalled more than allowable
 * limit") would leave its ledger rows `claimed` for ever: nothing runs the job again. Its
 * claimed rows end `failed` with the reason, so the article's deliveries say what happened and
 * the reconciler does not bring them back; rows it had not claimed yet stay due, and the
 * reconciler re-enqueues them (their row never killed anything).
 */
import type { Job } from 'bullmq';
import type { DeliveryKey } from '../domain/delivery.js';
import type { Logger } from '../logger.js';
import type { DeliveryStore } from '../store/deliveries.js';

/**
 * The ledger rows a job works on, read from its payload: a `deliver` job's row (`articleId`,
 * `target`), or a batch's rows (`articleId`, `targets`). Other jobs (refreshes, retractions,
 * digests, the fan-out) hold no claim of their own.
 */
export function ledgerKeysOf(channel: string, job: Pick<Job, 'name' | 'data'>): DeliveryKey[] {
  const data: unknown = job.data;
  if (!data || typeof data !== 'object') return [];
  const { articleId, target, targets } = data as Record<string, unknown>;
  if (typeof articleId !== 'string') return [];
  if (Array.isArray(targets)) {
    return targets.filter((item): item is string => typeof item === 'string').map((item) => ({ articleId, channel, target: item }));
  }
  if (job.name === 'deliver') return [{ articleId, channel, target: typeof target === 'string' ? target : '' }];
  return [];
}

/** Ends the claimed rows of a stalled-out `job` of `channel`'s queue as `failed`. */
export async function failStalledDeliveries(
  deliveries: DeliveryStore,
  logger: Logger,
  channel: string,
  job: Pick<Job, 'id' | 'name' | 'data'>,
  reason: string,
  now = new Date(),
): Promise<number> {
  const keys = ledgerKeysOf(channel, job);
  if (keys.length === 0) return 0;
  const error = `${reason}: its worker stopped while delivering, more often than JOB_MAX_STALLED allows; not retried automatically`;
  const failed = await deliveries.failClaimed(keys, error, now);
  if (failed > 0) {
    logger.error(
      { channel, jobId: job.id, articleId: keys[0]!.articleId, failed },
      'deliveries failed: their job kept stopping its worker',
    );
  }
  return failed;
}
