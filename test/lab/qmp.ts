/** A single command to QEMU over its QMP socket (JSON lines: greeting, capabilities handshake, command). */
import { connect } from 'node:net';
import { LabError } from './exec.ts';

/** Resolves with the command's "return"; rejects on its "error", a timeout, or the socket closing first. */
export function qmpCommand(socketPath: string, command: string, timeoutMs = 5_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let buffer = '';
    let step: 'greeting' | 'capabilities' | 'command' = 'greeting';
    const fail = (why: string) => {
      sock.destroy();
      reject(new LabError(`QMP ${command} on ${socketPath}: ${why}`));
    };
    sock.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs / 1000}s`));
    sock.once('error', (e) => fail(e.message));
    sock.once('close', () => fail('the socket closed'));
    sock.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as { QMP?: unknown; event?: string; return?: unknown; error?: { desc?: string } };
        if (msg.event) continue;
        if (msg.error) return fail(msg.error.desc ?? JSON.stringify(msg.error));
        if (step === 'greeting' && msg.QMP) {
          step = 'capabilities';
          sock.write('{"execute":"qmp_capabilities"}\n');
        } else if (step === 'capabilities' && 'return' in msg) {
          step = 'command';
          sock.write(`${JSON.stringify({ execute: command })}\n`);
        } else if (step === 'command' && 'return' in msg) {
          sock.removeAllListeners('close');
          sock.destroy();
          resolve(msg.return);
        }
      }
    });
  });
}
