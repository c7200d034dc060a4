/**
 * The generated certificate in a real TLS server (node:https on 127.0.0.1) and real clients (node:tls, node:https) that
 * trust ONLY the generated CA: the names it was issued for are accepted, any other name and a client without the CA
 * are refused.
 */
import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { caFiles, createCa } from '../../lib/pki/ca.ts';
import { issueServerCert } from '../../lib/pki/server-cert.ts';
import { removeTempDir, tempDir } from '../helpers/steps.ts';

const t = suite('pki: TLS with the generated certificate');
let base: string;
let server: Server;
let port: number;
let caPem: Buffer;

t.before(async () => {
  base = tempDir('msh-tls-');
  const ca = caFiles(join(base, 'ca'));
  await createCa(ca, { commonName: 'media-server-home local CA (test)', days: 3650, permittedDns: ['home.arpa'] });
  const files = { cert: join(ca.dir, 'media-server.crt'), key: join(ca.dir, 'media-server.key') };
  await issueServerCert(ca, files, { dnsNames: ['jellyfin.home.arpa', 'photos.home.arpa', 'grafana.home.arpa', 'traefik.home.arpa'], days: 397 });
  caPem = readFileSync(ca.cert);
  server = createServer({ cert: readFileSync(files.cert), key: readFileSync(files.key), minVersion: 'TLSv1.2' }, (_req, res) => res.end('hello from jellyfin'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

t.after(async () => {
  await new Promise((resolve) => server.close(resolve));
  removeTempDir(base);
});

/** Resolves with the handshake's outcome: 'ok' or the client's error code. */
function handshake(servername: string, ca: Buffer[] | undefined): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca, rejectUnauthorized: true, timeout: 5000 }, () => {
      const ok = socket.authorized;
      socket.end();
      resolve(ok ? 'ok' : String(socket.authorizationError));
    });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    socket.on('timeout', () => socket.destroy(new Error('timeout')));
  });
}

t('a client trusting only the CA connects to jellyfin.home.arpa and every other issued name', async () => {
  for (const name of ['jellyfin.home.arpa', 'photos.home.arpa', 'grafana.home.arpa', 'traefik.home.arpa']) {
    assert.is(await handshake(name, [caPem]), 'ok', name);
  }
});

t('a name not in the SANs is refused', async () => {
  assert.is(await handshake('immich.home.arpa', [caPem]), 'ERR_TLS_CERT_ALTNAME_INVALID');
  assert.is(await handshake('jellyfin.example.com', [caPem]), 'ERR_TLS_CERT_ALTNAME_INVALID');
});

t('without the CA (system trust only) the certificate is not trusted', async () => {
  assert.is(await handshake('jellyfin.home.arpa', undefined), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
});

t('an HTTPS request with the CA gets the answer', async () => {
  const body = await new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, servername: 'jellyfin.home.arpa', headers: { host: 'jellyfin.home.arpa' }, ca: [caPem], path: '/' }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
  assert.is(body, 'hello from jellyfin');
});

t.run();
