/**
 * The end every benchmark server of ours shares: the API on a free port of 127.0.0.1, the port
 * printed on stdout (what `startServer` waits for), and on SIGTERM the Syndicate closed, its
 * Redis keys deleted and `cleanup` run before the process exits.
 */
import type { createSyndicate } from '../../src/app.js';
import { deletePrefix } from '../raw-hop.js';

export async function serveApi(
  syndicate: Awaited<ReturnType<typeof createSyndicate>>,
  cleanup: () => void = () => undefined,
): Promise<void> {
  const api = await syndicate.startApi({ listen: false });
  await api.listen({ port: 0, host: '127.0.0.1' });
  const address = api.server.address();
  console.log(typeof address === 'object' && address ? address.port : 0);
  process.on('SIGTERM', () => {
    void syndicate
      .close()
      .then(() => deletePrefix(syndicate.config.queuePrefix))
      .then(cleanup)
      .then(() => process.exit(0));
  });
}
