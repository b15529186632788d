/**
 * /admin/queues: Bull Board over every queue this process knows, behind the admin sign-in.
 * Read-only unless the deployment says otherwise: Bull Board refuses writes on read-only queues
 * itself, and this plugin refuses every write method before Bull Board sees it, so a future
 * Bull Board route that forgets the check cannot slip through. Its UI is a script application:
 * these pages get their own CSP, scripts from 'self' only.
 */
import type { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';

export interface QueueBoardOptions {
  /** The queues to show. */
  queues: readonly Queue[];
  /** Whether jobs may be retried, removed, promoted and queues paused from the board. @defaultValue false */
  writable?: boolean;
  /** Where the board is mounted (its pages' `<base href>`). */
  basePath: string;
}

/**
 * Scripts and styles from 'self' (Bull Board's bundles). Its markup carries inline style
 * attributes and a `<style>` element, hence 'unsafe-inline' for styles only; its web-font
 * stylesheet on fonts.googleapis.com is refused (an admin page calls out to nobody).
 */
export const QUEUE_BOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
].join('; ');

const READ_METHODS = new Set(['GET', 'HEAD']);

export const queueBoard: FastifyPluginAsync<QueueBoardOptions> = async (app, options) => {
  // Loaded on first registration only: worker processes never carry the board.
  const [{ createBullBoard }, { BullMQAdapter }, { FastifyAdapter }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/fastify'),
  ]);
  const writable = options.writable ?? false;

  app.addHook('onRequest', async (request, reply) => {
    reply.header('content-security-policy', QUEUE_BOARD_CSP);
    if (!writable && !READ_METHODS.has(request.method)) {
      return reply
        .code(405)
        .header('allow', 'GET, HEAD')
        .type('text/plain; charset=utf-8')
        .send('The queue board is read-only in this deployment (ADMIN_QUEUES_WRITABLE=true allows changes).\n');
    }
  });

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(options.basePath);
  createBullBoard({
    queues: options.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: !writable })),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'Syndicate queues',
        hideDocsLink: true,
        miscLinks: [{ text: 'Back to the articles', url: '/admin/articles' }],
      },
    },
  });
  await app.register(serverAdapter.registerPlugin());
};
