/**
 * Which articles still have a job that will run in one queue: waiting, paused, delayed, active
 * (a stalled one included: the stall check hands it back), prioritized or waiting for children.
 * Every job id of ours carries its article's id, so ids are read once per queue and pass, and
 * only the jobs whose id mentions the article are opened to compare their `articleId`.
 */
import type { JobType, Queue } from 'bullmq';

const LIVE_TYPES: JobType[] = ['waiting', 'paused', 'delayed', 'active', 'prioritized', 'waiting-children'];

export class LiveJobs {
  private ids: Promise<string[]> | undefined;

  constructor(private readonly queue: Queue) {}

  /** Whether a job for `articleId` is waiting, delayed or running (as of the first call). */
  async has(articleId: string): Promise<boolean> {
    this.ids ??= this.queue.getRanges(LIVE_TYPES, 0, -1);
    for (const id of await this.ids) {
      if (!id.includes(articleId)) continue;
      const job = await this.queue.getJob(id);
      if ((job?.data as { articleId?: unknown } | undefined)?.articleId === articleId) return true;
    }
    return false;
  }
}
