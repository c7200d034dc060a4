import { randomBytes } from 'node:crypto';
import { registerSecret } from '../redact.ts';

export const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` characters of `alphabet` from the kernel's random source, without modulo bias; registered for redaction. */
export function generateSecret(length: number, alphabet = ALPHANUMERIC): string {
  if (alphabet.length < 2 || alphabet.length > 256) throw new Error('alphabet must have 2 to 256 characters');
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  registerSecret(out);
  return out;
}
