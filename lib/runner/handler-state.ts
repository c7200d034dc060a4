import { assertOk, type Connector } from '../connectors/connector.ts';
import { shq } from '../connectors/shell.ts';

/** Handlers notified but not yet run, kept on the host so that a failed run does not lose a restart. */
export interface PendingHandler {
  role: string;
  name: string;
}

export const PENDING_FILE = 'pending-handlers.json';

export function readPendingScript(stateDir: string): string {
  return `cat ${shq(`${stateDir}/${PENDING_FILE}`)} 2>/dev/null || true`;
}

export function parsePending(text: string): PendingHandler[] {
  try {
    const data: unknown = JSON.parse(text);
    if (!Array.isArray(data)) return [];
    return data.filter((d): d is PendingHandler => typeof d?.role === 'string' && typeof d?.name === 'string');
  } catch {
    return [];
  }
}

export async function writePending(conn: Connector, stateDir: string, pending: PendingHandler[]): Promise<void> {
  const file = shq(`${stateDir}/${PENDING_FILE}`);
  const script =
    pending.length === 0
      ? `rm -f ${file}`
      : `mkdir -p ${shq(stateDir)} && chmod 700 ${shq(stateDir)} && cat > ${file}.tmp && mv -f ${file}.tmp ${file}`;
  assertOk(await conn.run(script, { input: JSON.stringify(pending) }), 'recording pending handlers');
}
