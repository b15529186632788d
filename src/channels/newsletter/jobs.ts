/** The newsletter queue's jobs (its job table) and their deterministic ids. */
import type { DeliverJobs } from '../../queue/jobs.js';

export interface BatchJobData {
  articleId: string;
  /** Subscriber ids: the targets of the article's newsletter rows. */
  targets: string[];
}

export interface ConfirmEmailJobData {
  subscriberId: string;
  /** The subscription request this email answers (epoch ms); part of the Message-ID. */
  requestedAt: number;
}

export interface DigestJobData {
  frequency: 'daily' | 'weekly';
  /** End of the digest period (epoch ms). Scheduler jobs leave it out: their due time is used. */
  periodEnd?: number;
}

export interface DigestBatchJobData {
  frequency: 'daily' | 'weekly';
  periodEnd: number;
  targets: string[];
}

/**
 *   deliver        plan an article: ledger rows for its subscribers → batch jobs   (batch.ts)
 *   batch          send an article to ≤ batchSize subscribers                      (batch.ts)
 *   confirm-email  the double opt-in email of one subscription request             (queue.ts)
 *   digest         a scheduled digest run → digest-batch jobs                      (digest.ts)
 *   digest-batch   the digests of ≤ batchSize subscribers                          (digest.ts)
 */
export type NewsletterJobs = DeliverJobs & {
  batch: BatchJobData;
  'confirm-email': ConfirmEmailJobData;
  digest: DigestJobData;
  'digest-batch': DigestBatchJobData;
};

export const newsletterJobIds = {
  /** `run` tells plan runs apart (a retry plans again); `first` is the batch's first target. */
  batch: (articleId: string, run: string, first: string) => `batch-${articleId}-${run}-${first}`,
  confirmEmail: (subscriberId: string, requestedAt: number) => `confirm-${subscriberId}-${requestedAt}`,
  digestBatch: (frequency: string, periodEnd: number, first: string) => `digest-${frequency}-${periodEnd}-${first}`,
};
