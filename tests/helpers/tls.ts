/**
 * A throw-away certificate authority and a server certificate for 127.0.0.1 / localhost, made
 * at test time with the `openssl` command, so local HTTPS servers can stand in for platforms.
 * Clients trust `caPem` through an agent (`new https.Agent({ ca })`) or, in a child process,
 * through `NODE_EXTRA_CA_CERTS=<caFile>` as production would.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestTls {
  /** The CA certificate (PEM) to trust. */
  caPem: string;
  /** The server certificate (PEM), for 127.0.0.1 and localhost, signed by the CA. */
  certPem: string;
  /** The server's private key (PEM). */
  keyPem: string;
  /** A file holding `caPem`, for `NODE_EXTRA_CA_CERTS`. */
  caFile: string;
  /** Deletes the files. */
  remove(): Promise<void>;
}

/** Generates a fresh CA and server certificate (P-256 keys, valid for a day) in a temp dir. */
export async function createTestTls(): Promise<TestTls> {
  const dir = await mkdtemp(path.join(tmpdir(), 'syndicate-tls-'));
  const file = (name: string) => path.join(dir, name);
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=Syndicate test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run('openssl', ['req', ...ecKey, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost']);
  await writeFile(
    file('server.ext'),
    [
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
    ].join('\n'),
  );
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.pem'),
    '-days',
    '1',
    '-extfile',
    file('server.ext'),
  ]);
  const [caPem, certPem, keyPem] = await Promise.all([
    readFile(file('ca.pem'), 'utf8'),
    readFile(file('server.pem'), 'utf8'),
    readFile(file('server.key'), 'utf8'),
  ]);
  return { caPem, certPem, keyPem, caFile: file('ca.pem'), remove: () => rm(dir, { recursive: true, force: true }) };
}
