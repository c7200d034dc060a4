/** node-exporter: the package (without Recommends) and its ARGS, bound to the host's LAN address. */
import type { Step } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { cmd } from '../../lib/connectors/shell.ts';
import { editProbe, planEdit, writeEdit, type EditChange } from '../../lib/modules/edit-file.ts';
import { apt } from '../../lib/modules/index.ts';
import { ensureLine } from '../../lib/modules/line-in-file.ts';
import { sections } from '../../lib/modules/probe-sections.ts';
import { ADDRESS_PROBE, argsLine, defaultListenAddress } from './templates/node-exporter.ts';

function parseAddresses(stdout: string): { route: string; addrs: string[] } {
  const kv = new Map(stdout.split('\n').map((l) => l.split('=', 2) as [string, string]));
  return { route: (kv.get('route') ?? '').trim(), addrs: (kv.get('addrs') ?? '').split(/\s+/).filter(Boolean) };
}

/** The address to bind, checked against the host's own addresses; throws saying how to fix it. */
export function listenAddress(host: string, configured: string, found: { route: string; addrs: string[] }): string {
  if (configured) {
    if (found.addrs.length && !found.addrs.includes(configured)) {
      throw new Error(`node_exporter_listen ${configured} is not an address of ${host} (it has ${found.addrs.join(', ')}): node-exporter could not listen on it — fix node_exporter_listen`);
    }
    return configured;
  }
  const address = defaultListenAddress(found.route, found.addrs);
  if (!address) {
    throw new Error(
      `cannot tell ${host}'s LAN address: it has no default route and ${found.addrs.length ? `several addresses (${found.addrs.join(', ')})` : 'no global IPv4 address'} — set node_exporter_listen to the address Prometheus should scrape`,
    );
  }
  return address;
}

export function nodeExporterArgsStep(path: string, configured: string): Step {
  return {
    title: 'node-exporter listens on the LAN address, textfile and ZFS collectors on',
    tags: ['node-exporter'],
    notify: ['restart prometheus-node-exporter'],
    probe: `echo @@file; ${editProbe(path)}\necho @@addresses; ${ADDRESS_PROBE}`,
    async check(ctx, probe) {
      const s = sections(probe?.stdout ?? '');
      const address = listenAddress(ctx.host, configured, parseAddresses(s.get('addresses')?.body ?? ''));
      const line = argsLine(address);
      return planEdit(ctx, path, `${s.get('file')?.body ?? ''}\n`, false, (text) => ensureLine(text, line, /^ARGS=/));
    },
    async apply(ctx, change) {
      await writeEdit(ctx.conn, change as EditChange);
    },
  };
}

/**
 * apt() installs Recommends, and prometheus-node-exporter recommends prometheus-node-exporter-collectors, whose apt
 * timer writes apt_upgrades_pending with other labels and help than role hardening's metric of the same name in the
 * same textfile directory: node-exporter then drops one of them with an error on every scrape.
 */
export function installWithoutRecommends(title: string, packages: string[]): Step {
  const base = apt({ title, packages, tags: ['node-exporter'] });
  return {
    ...base,
    async apply(ctx) {
      const script = [
        `last=$(stat -c %Y /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists/partial 2>/dev/null | sort -n | tail -n 1)`,
        `if [ $(( $(date +%s) - \${last:-0} )) -ge 3600 ]; then apt-get update -o DPkg::Lock::Timeout=120 || exit $?; mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp; fi`,
        `DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=120 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -- ${cmd(...packages)}`,
      ].join('\n');
      assertOk(await ctx.conn.run(script), `apt-get install ${packages.join(' ')}`);
      const versions = await ctx.conn.run(`dpkg-query -W -f='\${Package} \${Version}\\n' -- ${cmd(...packages)} 2>/dev/null || true`);
      for (const line of versions.stdout.split('\n')) {
        const [name, version] = line.split(' ');
        if (name && version) ctx.facts.packages.set(name, version);
      }
    },
  };
}
