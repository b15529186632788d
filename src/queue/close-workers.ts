import type { Worker } from 'bullmq';
import type { Logger } from '../logger.js';

/** Lets running jobs finish; past `deadlineMs` hands them back (they stall and run again elsewhere). */
export async function closeWorkers(workers: readonly Worker[], deadlineMs: number, logger: Logger): Promise<void> {
  await Promise.all(
    workers.map(async (worker) => {
      let timer: NodeJS.Timeout | undefined;
      const graceful = worker.close();
      const forced = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          logger.warn({ queue: worker.name }, 'jobs still running at the shutdown deadline; handing them back');
          void worker.close(true).then(resolve, resolve);
        }, deadlineMs);
      });
      await Promise.race([graceful, forced]);
      clearTimeout(timer);
      await worker.disconnect().catch(() => {});
    }),
  );
}
