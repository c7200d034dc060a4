/** Sharing the datasets with the services VM: Proxmox directory mappings for virtiofs, or NFS exports before PVE 8.4. */
import type { Change, Step } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { cmd } from '../../lib/connectors/shell.ts';
import type { Facts } from '../../lib/facts/facts.ts';
import { shareMethod, type ShareMethod } from './settings.ts';

export interface DirMapping {
  id: string;
  path: string;
}

/** A step condition: run only when the datasets are shared this way on this host. */
export function sharedBy(setting: string, method: ShareMethod): (f: Facts) => true | string {
  return (f) => {
    const m = shareMethod(setting, f.pveVersion);
    if ('error' in m) return true; // the sharing check step fails first, with the reason
    return m.method === method || `shared by ${m.method === 'none' ? 'nothing' : m.method} (${m.why})`;
  };
}

/** Fails early when the setting cannot work on this host; says at -v which way the datasets are shared, and why. */
export function sharingMethodCheck(setting: string, vmIp: string): Step {
  return {
    title: 'Sharing method for the VM',
    tags: ['sharing'],
    check(ctx) {
      const m = shareMethod(setting, ctx.facts.pveVersion);
      if ('error' in m) throw new Error(m.error);
      if (m.method === 'nfs' && vmIp === '') {
        throw new Error(`the datasets are shared over NFS (${m.why}), and vm_ip is not set: set vm_ip to the services VM's address, the only client the exports admit`);
      }
      ctx.log(`datasets shared by ${m.method}: ${m.why}`);
      return null;
    },
    apply: async () => undefined,
  };
}

interface MappingChange extends Change {
  commands: string[];
}

/** One entry of a mapping's "map" list: "node=pve,path=/mnt/tank/media" → its fields. */
function mapEntry(entry: string): Map<string, string> {
  return new Map(entry.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const));
}

/** The pvesh commands that make each wanted mapping point at its path on this node, keeping other nodes' entries. */
export function mappingCommands(wanted: DirMapping[], existing: unknown, node: string): string[] {
  const list = Array.isArray(existing) ? (existing as { id?: unknown; map?: unknown }[]) : [];
  const commands: string[] = [];
  for (const w of wanted) {
    const want = `node=${node},path=${w.path}`;
    const found = list.find((m) => m.id === w.id);
    if (!found) {
      commands.push(cmd('pvesh', 'create', '/cluster/mapping/dir', '--id', w.id, '--map', want));
      continue;
    }
    const entries = Array.isArray(found.map) ? found.map.filter((e): e is string => typeof e === 'string') : [];
    const mine = entries.filter((e) => mapEntry(e).get('node') === node);
    if (mine.length === 1 && mapEntry(mine[0]!).get('path') === w.path) continue;
    const others = entries.filter((e) => mapEntry(e).get('node') !== node);
    commands.push(cmd('pvesh', 'set', `/cluster/mapping/dir/${w.id}`, ...[...others, want].flatMap((e) => ['--map', e])));
  }
  return commands;
}

/** Directory mappings (Datacenter → Directory Mappings) for virtiofs, one per dataset, named <pool>-<dataset>. */
export function directoryMappings(mappings: DirMapping[], when: Step['when']): Step {
  return {
    title: 'virtiofs directory mappings',
    tags: ['sharing'],
    when,
    probe: 'echo "node=$(uname -n | cut -d. -f1)"\npvesh get /cluster/mapping/dir --output-format json 2>&1',
    check(_ctx, probe): MappingChange | null {
      const out = probe?.stdout ?? '';
      const [first = '', ...rest] = out.split('\n');
      const node = first.replace(/^node=/, '');
      const body = rest.join('\n').trim();
      let existing: unknown;
      try {
        existing = JSON.parse(body);
      } catch {
        throw new Error(`cannot read the directory mappings (pvesh get /cluster/mapping/dir, exit ${probe?.code}): ${body.split('\n').slice(-3).join(' ')}`);
      }
      const commands = mappingCommands(mappings, existing, node);
      return commands.length ? { summary: commands.join('; '), commands } : null;
    },
    async apply(ctx, c) {
      for (const command of (c as MappingChange).commands) assertOk(await ctx.conn.run(command), command);
    },
  };
}
