/** Reaching the Proxmox host during setup: the connection test, what to do when it fails, and what the host tells us. */
import { existsSync } from 'node:fs';
import type { Connector } from '../../lib/connectors/connector.ts';
import type { SshConnectorOptions } from '../../lib/connectors/ssh.ts';
import type { Facts } from '../../lib/facts/facts.ts';
import { gatherFacts } from '../../lib/facts/gather.ts';
import { listDisks, type ListedDisk } from '../../lib/modules/disks/list.ts';
import { controllerPath } from '../../roles/vm-services/settings.ts';
import type { Prompter } from '../../lib/wizard/prompter.ts';
import { checkSsh, copyIdCommand, keygenCommand, runWithTerminal, type SshCheck } from '../../lib/wizard/ssh-access.ts';

export interface PveTarget {
  host: string;
  port: number;
  user: string;
  keyFile: string;
}

/** What the wizard uses to reach pve; tests replace parts of it. */
export interface PveAccess {
  check(t: PveTarget): Promise<SshCheck>;
  facts(conn: Connector): Promise<Facts>;
  disks(conn: Connector): Promise<ListedDisk[]>;
  /** Runs ssh-copy-id / ssh-keygen with the terminal. */
  runWithTerminal(argv: string[]): Promise<number>;
}

export function pveAccess(ssh: Partial<SshConnectorOptions> = {}): PveAccess {
  return {
    check: (t) => checkSsh({ ...ssh, host: t.host, port: t.port, user: t.user, keyFile: controllerPath(t.keyFile), become: t.user !== 'root' }),
    facts: gatherFacts,
    disks: (conn) => listDisks(conn),
    runWithTerminal,
  };
}

export class PveUnreachable extends Error {
  override name = 'PveUnreachable';
}

export interface PveFound {
  facts?: Facts;
  disks?: ListedDisk[];
  /** The person chose to go on without the host. */
  offline: boolean;
}

/**
 * Connects, and when that fails says why and (with a person) offers the fix: install the key with ssh-copy-id, retry,
 * go on offline. Without a person a failure is final (PveUnreachable).
 */
export async function reachPve(p: Prompter, access: PveAccess, target: PveTarget): Promise<PveFound> {
  for (;;) {
    p.say(`Connecting to ${target.user}@${target.host}:${target.port} …`);
    const res = await access.check(target);
    if (res.ok) {
      try {
        const facts = await access.facts(res.conn);
        p.say(`  ok: ${facts.hostname}, ${facts.pveVersion || 'no pveversion (not a Proxmox VE host?)'}, ${Math.round(facts.memoryMiB / 102.4) / 10} GiB RAM, ${facts.cpus} CPUs`);
        const disks = await access.disks(res.conn);
        return { facts, disks, offline: false };
      } finally {
        await res.conn.close();
      }
    }
    p.say(`  ${res.message}`);
    if (!p.interactive) throw new PveUnreachable(`${res.message}\n  (or pass --offline to write the files without connecting)`);
    const keyFile = controllerPath(target.keyFile);
    const hasKey = existsSync(keyFile) && existsSync(`${keyFile}.pub`);
    const choices = [
      ...(res.problem === 'auth' && hasKey ? [{ value: 'copy-id' as const, name: `install ${target.keyFile}.pub on the host with ssh-copy-id (asks for ${target.user}'s password once)` }] : []),
      ...(!hasKey ? [{ value: 'keygen' as const, name: `make a key pair: ${keygenCommand(keyFile).join(' ')}` }] : []),
      { value: 'retry' as const, name: 'try again (after fixing it)' },
      { value: 'offline' as const, name: 'go on without connecting (defaults not sized from the host, disks typed by hand)' },
      { value: 'quit' as const, name: 'quit (nothing is written)' },
    ];
    const fix = await p.select({ id: 'ssh_fix', message: 'What now?', default: choices[0]!.value, choices });
    if (fix === 'quit') throw new PveUnreachable(res.message);
    if (fix === 'offline') return { offline: true };
    if (fix === 'keygen') await access.runWithTerminal(keygenCommand(keyFile));
    if (fix === 'copy-id') {
      const code = await access.runWithTerminal(copyIdCommand({ ...target, keyFile, knownHostsFile: undefined }));
      if (code !== 0) p.say(`  ssh-copy-id exited ${code}`);
    }
  }
}
