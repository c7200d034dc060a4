/**
 * Apache's "$apr1$" password hash (MD5-crypt with Apache's magic), as `htpasswd -m` and `openssl passwd -apr1` make it.
 * Written here rather than calling openssl so that checking a stored hash needs no process and the password never
 * leaves this one: the algorithm is fixed (Apache's apr_md5.c) and the tests compare it with the real openssl.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const MAGIC = '$apr1$';
const HASH = /^\$apr1\$([./0-9A-Za-z]{1,8})\$([./0-9A-Za-z]{22})$/;

const md5 = (...parts: Buffer[]) => {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
};

function to64(value: number, chars: number): string {
  let out = '';
  for (let v = value; chars > 0; chars--, v >>= 6) out += ITOA64[v & 0x3f];
  return out;
}

/** A random salt of 8 characters from the hash alphabet. */
export function apr1Salt(): string {
  return [...randomBytes(8)].map((b) => ITOA64[b & 0x3f]).join('');
}

/** `$apr1$<salt>$<22 chars>` for this password and salt (at most 8 characters of the salt count, as in Apache). */
export function apr1Hash(password: string, salt: string = apr1Salt()): string {
  const s = Buffer.from(salt.split('$')[0]!.slice(0, 8));
  const pw = Buffer.from(password, 'utf8');
  const magic = Buffer.from(MAGIC);

  const alternate = md5(pw, s, pw);
  const ctx = createHash('md5').update(pw).update(magic).update(s);
  for (let left = pw.length; left > 0; left -= 16) ctx.update(alternate.subarray(0, Math.min(left, 16)));
  for (let i = pw.length; i > 0; i >>= 1) ctx.update(i & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  let final = ctx.digest();

  // 1000 rounds, to slow down brute force (the number is part of the format).
  for (let i = 0; i < 1000; i++) {
    const parts: Buffer[] = [i & 1 ? pw : final];
    if (i % 3) parts.push(s);
    if (i % 7) parts.push(pw);
    parts.push(i & 1 ? final : pw);
    final = md5(...parts);
  }

  const f = final;
  const encoded =
    to64((f[0]! << 16) | (f[6]! << 8) | f[12]!, 4) +
    to64((f[1]! << 16) | (f[7]! << 8) | f[13]!, 4) +
    to64((f[2]! << 16) | (f[8]! << 8) | f[14]!, 4) +
    to64((f[3]! << 16) | (f[9]! << 8) | f[15]!, 4) +
    to64((f[4]! << 16) | (f[10]! << 8) | f[5]!, 4) +
    to64(f[11]!, 2);
  return `${MAGIC}${s.toString()}$${encoded}`;
}

/** The salt of an `$apr1$` hash, or undefined when the text is not one. */
export function apr1SaltOf(hash: string): string | undefined {
  return HASH.exec(hash)?.[1];
}

/** True when `hash` is the apr1 hash of `password` (compared in constant time). */
export function apr1Verify(password: string, hash: string): boolean {
  const salt = apr1SaltOf(hash);
  if (salt === undefined) return false;
  const a = Buffer.from(apr1Hash(password, salt));
  const b = Buffer.from(hash);
  return a.length === b.length && timingSafeEqual(a, b);
}
