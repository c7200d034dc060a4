import { assertOk, type Connector } from '../../lib/connectors/connector.ts';
import { parseDotenv } from '../../lib/compose/dotenv.ts';
import { registerSecret } from '../../lib/redact.ts';
import { ENV } from './templates/names.ts';

export const PASSWORD_LENGTH = 32;

/** Run on the host: 32 characters from the kernel's random source, A-Za-z0-9 only (Immich's rule for DB_PASSWORD). */
export const GENERATE_PASSWORD = `LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c ${PASSWORD_LENGTH}`;

/** The DB password an existing .env holds, registered for redaction before anything can print it. */
export function passwordFromEnv(envText: string): string | undefined {
  const pw = parseDotenv(envText)[ENV.dbPassword];
  if (pw === undefined || pw === '') return undefined;
  registerSecret(pw);
  return pw;
}

/** Why Immich cannot use this password, or undefined. */
export function passwordProblem(pw: string): string | undefined {
  if (!/^[A-Za-z0-9]+$/.test(pw)) return 'it contains characters other than A-Za-z0-9, which Immich does not accept';
  if (pw.length < 16) return `it is only ${pw.length} characters long`;
  return undefined;
}

export async function generatePassword(conn: Connector): Promise<string> {
  const pw = assertOk(await conn.run(GENERATE_PASSWORD), 'generating the database password').stdout;
  registerSecret(pw);
  if (pw.length !== PASSWORD_LENGTH || passwordProblem(pw)) throw new Error(`generating the database password on the host gave ${pw.length} characters instead of ${PASSWORD_LENGTH}`);
  return pw;
}
