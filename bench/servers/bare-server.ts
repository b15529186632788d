/**
 * Baseline for feed serving: a bare node:http server sending the same bytes and headers our app
 * sends (gzip body, its ETag and caching headers; 304 on If-None-Match).
 * Arguments: a JSON file `{ etag, headers200, headers304 }` and the body file. Prints its port.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [specFile, bodyFile] = process.argv.slice(2) as [string, string];
const { etag, headers200, headers304 } = JSON.parse(readFileSync(specFile, 'utf8')) as {
  etag: string;
  headers200: Record<string, string>;
  headers304: Record<string, string>;
};
const body = readFileSync(bodyFile);

const server = createServer((request, response) => {
  if (request.headers['if-none-match'] === etag) {
    response.writeHead(304, headers304);
    response.end();
    return;
  }
  response.writeHead(200, { ...headers200, 'content-length': String(body.length) });
  response.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(typeof address === 'object' && address ? address.port : 0);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
