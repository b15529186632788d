/** POST /api/preview: how an article would look on every channel; nothing stored or sent. */
import type { FastifyPluginAsync } from 'fastify';

/** Renders a preview of raw publisher input; throws AppError for invalid input. */
export type PreviewRenderer = (input: unknown) => Promise<Record<string, unknown>>;

export const previewRoutes: FastifyPluginAsync<{ renderer: PreviewRenderer }> = async (app, { renderer }) => {
  app.post('/preview', async (request) => renderer(request.body));
};
