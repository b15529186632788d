/** Entry: every worker role in one process, without the API. */
import { main } from '../src/cli/syndicate.js';

process.exitCode = await main(['worker', 'all']);
