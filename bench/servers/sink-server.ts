/**
 * The ingest benchmark's check on its own client: a bare node:http server that reads each
 * POSTed body and answers 202 with a small JSON, as fast as Node can. Prints its port.
 */
import { createServer } from 'node:http';

const answer = Buffer.from(JSON.stringify({ id: 'x', revision: 1, state: 'queued', result: 'created' }));
const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(202, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(answer.length) });
    response.end(answer);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(typeof address === 'object' && address ? address.port : 0);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
