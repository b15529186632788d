/**
 * Baseline for feed serving: a bare node:http server holding the same bytes and headers our
 * app serves (gzip body, ETag, 304 on If-None-Match). Prints its port on stdout.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [bodyFile, etag, contentType] = process.argv.slice(2) as [string, string, string];
const body = readFileSync(bodyFile);

const server = createServer((request, response) => {
  if (request.headers['if-none-match'] === etag) {
    response.writeHead(304, { etag, vary: 'Accept-Encoding' });
    response.end();
    return;
  }
  response.writeHead(200, {
    'content-type': contentType,
    'content-encoding': 'gzip',
    etag,
    vary: 'Accept-Encoding',
    'cache-control': 'public, max-age=60',
  });
  response.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(typeof address === 'object' && address ? address.port : 0);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
