import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { download } from '../../lib/modules/index.ts';
import { check, context, rejects, removeTempDir, runStep, sh, tempDir } from '../helpers/steps.ts';

const PAYLOAD = Buffer.from('#!/bin/sh\necho "release 1.2.3"\n');
const OTHER = Buffer.from('something else\n');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const test = suite<{ dir: string }>('download', { dir: '' });
let server: Server;
let base = '';
let requests = 0;

test.before(async () => {
  server = createServer((req, res) => {
    requests++;
    if (req.url === '/tool.sh') res.end(PAYLOAD);
    else if (req.url === '/other') res.end(OTHER);
    else if (req.url === '/moved') res.writeHead(302, { location: '/tool.sh' }).end();
    else if (req.url === '/slow') {
      // Slower than the test's timeout, but it ends: the killed command's curl finishes and the server can close.
      res.writeHead(200).write('x');
      setTimeout(() => res.end(), 2500);
    }
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
test.before.each((ctx) => {
  ctx.dir = tempDir();
});
test.after.each((ctx) => removeTempDir(ctx.dir));

test('downloads, verifies and installs the file, then reports no change without fetching', async ({ dir }) => {
  const dest = join(dir, 'tool.sh');
  const step = download({ url: `${base}/tool.sh`, dest, sha256: sha256(PAYLOAD), mode: '0755', owner: 'root', group: 'root' });
  const { change } = await runStep(step);
  assert.is(change?.summary, `download ${base}/tool.sh to ${dest}`);
  assert.equal(readFileSync(dest), PAYLOAD);
  assert.is(statSync(dest).mode & 0o7777, 0o755);
  const seen = requests;
  assert.is(await check(step), null);
  assert.is(requests, seen, 'the check does not download');
  assert.equal(readdirSync(dir), ['tool.sh']);
});

test('follows redirects; default mode is 0644', async ({ dir }) => {
  const dest = join(dir, 'tool.sh');
  await runStep(download({ url: `${base}/moved`, dest, sha256: sha256(PAYLOAD) }));
  assert.equal(readFileSync(dest), PAYLOAD);
  assert.is(statSync(dest).mode & 0o7777, 0o644);
});

test('replaces a file whose content differs', async ({ dir }) => {
  const dest = join(dir, 'tool.sh');
  writeFileSync(dest, 'old\n');
  const { change } = await runStep(download({ url: `${base}/tool.sh`, dest, sha256: sha256(PAYLOAD) }));
  assert.match(change?.summary ?? '', `replace ${dest} with ${base}/tool.sh (sha256 ${sha256(Buffer.from('old\n')).slice(0, 12)}… → ${sha256(PAYLOAD).slice(0, 12)}…)`);
  assert.equal(readFileSync(dest), PAYLOAD);
});

test('only repairs the mode when the content is right', async ({ dir }) => {
  const dest = join(dir, 'tool.sh');
  writeFileSync(dest, PAYLOAD);
  chmodSync(dest, 0o600);
  const seen = requests;
  const { change } = await runStep(download({ url: `${base}/tool.sh`, dest, sha256: sha256(PAYLOAD), mode: '0755' }));
  assert.is(change?.summary, `update ${dest}: mode 0600 → 0755`);
  assert.is(requests, seen, 'nothing downloaded');
  assert.is(statSync(dest).mode & 0o7777, 0o755);
});

test('a checksum mismatch fails naming both sums, leaving dest untouched and no temp file', async ({ dir }) => {
  const dest = join(dir, 'tool.sh');
  writeFileSync(dest, 'previous\n');
  const want = sha256(PAYLOAD);
  const message = await rejects(runStep(download({ url: `${base}/other`, dest, sha256: want })), /sha256 mismatch/);
  assert.match(message, `expected ${want}, got ${sha256(OTHER)}`);
  assert.is(readFileSync(dest, 'utf8'), 'previous\n');
  assert.equal(readdirSync(dir), ['tool.sh']);
});

test('an HTTP error fails with curl’s message and leaves nothing behind', async ({ dir }) => {
  const dest = join(dir, 'tool.sh');
  await rejects(runStep(download({ url: `${base}/missing`, dest, sha256: sha256(PAYLOAD) })), /downloading .*\/missing to .* failed \(exit 22\): curl: \(22\) The requested URL returned error: 404/);
  assert.equal(readdirSync(dir), []);
});

test('falls back to wget when the host has no curl', async ({ dir }) => {
  // A PATH holding every program of /usr/bin and /usr/sbin except curl.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const linked = new Set(['curl']);
  for (const d of ['/usr/bin', '/usr/sbin']) {
    for (const name of readdirSync(d)) {
      if (!linked.has(name)) symlinkSync(join(d, name), join(bin, name));
      linked.add(name);
    }
  }
  const dest = join(dir, 'tool.sh');
  const path = process.env.PATH;
  process.env.PATH = bin;
  try {
    assert.is.not((await sh('command -v curl')).code, 0, 'no curl on the PATH');
    assert.is((await sh('command -v wget')).code, 0, 'wget on the PATH');
    await runStep(download({ url: `${base}/tool.sh`, dest, sha256: sha256(PAYLOAD) }));
  } finally {
    process.env.PATH = path;
  }
  assert.equal(readFileSync(dest), PAYLOAD);
  assert.equal(readdirSync(dir).sort(), ['bin', 'tool.sh']);
});

test('check mode downloads nothing', async ({ dir }) => {
  const dest = join(dir, 'tool.sh');
  const seen = requests;
  const { changed } = await runStep(download({ url: `${base}/tool.sh`, dest, sha256: sha256(PAYLOAD) }), await context({ checkMode: true }));
  assert.ok(changed);
  assert.is(requests, seen);
  assert.equal(readdirSync(dir), []);
});

test('file:/// copies a file of the host itself, verified like a download; a wrong sum or a missing file fails', async ({ dir }) => {
  const source = join(dir, 'source dir', 'image 1.img');
  mkdirSync(join(dir, 'source dir'));
  writeFileSync(source, PAYLOAD);
  const dest = join(dir, 'image.img');
  const url = `file://${encodeURI(source)}`;
  assert.match(url, /%20/, 'a space in the path is %-escaped in the URL');
  const step = download({ url, dest, sha256: sha256(PAYLOAD) });
  const { change } = await runStep(step);
  assert.is(change?.summary, `download ${url} to ${dest}`);
  assert.equal(readFileSync(dest), PAYLOAD);
  assert.is(await check(step), null);
  // file://localhost/ is the same host
  await runStep(download({ url: `file://localhost${encodeURI(source)}`, dest: join(dir, 'again.img'), sha256: sha256(PAYLOAD) }));
  assert.equal(readFileSync(join(dir, 'again.img')), PAYLOAD);

  const wrong = await rejects(runStep(download({ url, dest: join(dir, 'wrong.img'), sha256: sha256(OTHER) })), /sha256 mismatch/);
  assert.match(wrong, `got ${sha256(PAYLOAD)}`);
  await rejects(runStep(download({ url: 'file:///nonexistent-msh/x.img', dest: join(dir, 'x.img'), sha256: sha256(PAYLOAD) })), /\/nonexistent-msh\/x\.img: no such file on this host/);
  assert.equal(readdirSync(dir).sort(), ['again.img', 'image.img', 'source dir']);
});

test('timeoutSeconds bounds the transfer', async ({ dir }) => {
  const dest = join(dir, 'slow.bin');
  await rejects(runStep(download({ url: `${base}/slow`, dest, sha256: sha256(PAYLOAD), timeoutSeconds: 1 })), /timed out after 1s/);
  assert.not.ok(readdirSync(dir).includes('slow.bin'), 'nothing installed');
  await new Promise((r) => setTimeout(r, 2000)); // let the response end before the next test
});

test('options are validated', () => {
  assert.throws(() => download({ url: `${base}/x`, dest: '/tmp/x', sha256: 'abc' }), /64 hex digits/);
  for (const url of ['file://otherhost/etc/passwd', 'file:relative', 'file:///tmp/', 'file:///bad%zz', 'gopher://x/y', '/etc/passwd']) {
    assert.throws(() => download({ url, dest: '/tmp/x', sha256: sha256(PAYLOAD) }), /is not an http\(s\), ftp or file:\/\/\/<absolute path> URL/, url);
  }
});

test.run();
