/**
 * Read-only checks after converging proxmox-host. In the lab the host is Debian with the pve-simulator (pveversion,
 * proxmox-boot-tool, an empty stand-in for the Proxmox repository): the checks read the same files and tools.
 */
import { commandSucceeds, outputMatches, serviceActive, type VerifyCheck } from '../../lib/api/verify.ts';
import { shq } from '../../lib/connectors/shell.ts';
import type { defaults } from './defaults.ts';
import type { IgpuMode } from './defaults.ts';
import { GRUB_DROP_IN, igpuModules, kernelOptions, MODULES_LOAD_FILE } from './templates/kernel-cmdline.ts';
import { ADDRESS_PROBE, NODE_EXPORTER_PORT } from './templates/node-exporter.ts';
import { ENTERPRISE_HOST } from './templates/repos.ts';

/** Shell setting $addr to the address node-exporter should listen on (the role's rule when the variable is empty). */
function listenAddressScript(configured: string): string {
  if (configured) return `addr=${shq(configured)}`;
  return [
    ADDRESS_PROBE.replace(/echo "route=/, 'route="').replace(/echo "addrs=/, 'addrs="'),
    'set -- $addrs',
    'if [ -n "$route" ]; then addr=$route; elif [ $# -eq 1 ]; then addr=$1; else echo "no default route and $# addresses" >&2; exit 1; fi',
  ].join('\n');
}

/** enterprise\.proxmox\.com, for grep -E and awk. */
const ENTERPRISE_RE = ENTERPRISE_HOST.replace(/\./g, '\\.');

/** Fetches a URL with curl, or python3 where curl is missing (the lab's pve has no curl). */
const fetch = (url: string) =>
  `if command -v curl >/dev/null 2>&1; then curl -fsS --max-time 10 ${url}; else python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' ${url}; fi`;

export function verifyProxmoxHost(v: typeof defaults): VerifyCheck[] {
  const mode = v.igpu_mode as IgpuMode;
  const url = shq(v.proxmox_repo_url);
  const checks: VerifyCheck[] = [
    outputMatches('pveversion reports Proxmox VE 8 or 9', 'pveversion', /^pve-manager\/[89]\./),
    outputMatches(
      'no enabled entry points at the enterprise repository',
      [
        `grep -sHE '^[[:space:]]*deb(-src)?[[:space:]].*${ENTERPRISE_RE}' /etc/apt/sources.list /etc/apt/sources.list.d/*.list`,
        // deb822: a stanza (paragraph) with enterprise URIs must say Enabled: no/false.
        `for f in /etc/apt/sources.list.d/*.sources; do [ -f "$f" ] && awk -v f="$f" 'BEGIN { RS = "" } { p = "\\n" $0 } p ~ /\\nURIs:[^\\n]*${ENTERPRISE_RE}/ && p !~ /\\nEnabled:[ \\t]*(no|false)/ { print f ": enabled enterprise stanza" }' "$f"; done`,
        'echo checked',
      ].join('\n'),
      /^checked\s*$/,
    ),
    commandSucceeds(
      'the no-subscription repository is configured for the release',
      [
        `major=$(pveversion | sed -n 's|^pve-manager/\\([0-9]*\\)\\..*|\\1|p')`,
        `case "$major" in`,
        `8) grep -qxF "deb "${url}" bookworm pve-no-subscription" /etc/apt/sources.list.d/pve-no-subscription.list ;;`,
        `9) grep -qxF "URIs: "${url} /etc/apt/sources.list.d/proxmox.sources && grep -qx 'Suites: trixie' /etc/apt/sources.list.d/proxmox.sources && grep -qx 'Components: pve-no-subscription' /etc/apt/sources.list.d/proxmox.sources ;;`,
        `*) exit 1 ;;`,
        'esac',
      ].join('\n'),
    ),
    serviceActive('prometheus-node-exporter'),
    commandSucceeds(
      `node-exporter listens on the LAN address, port ${NODE_EXPORTER_PORT}`,
      `${listenAddressScript(v.node_exporter_listen)}\nss -Hltn 'sport = :${NODE_EXPORTER_PORT}' | awk '{print $4}' | grep -qxF "$addr:${NODE_EXPORTER_PORT}"`,
    ),
    outputMatches(
      'its /metrics has the textfile collector, reading without errors',
      `${listenAddressScript(v.node_exporter_listen)}\n${fetch(`"http://$addr:${NODE_EXPORTER_PORT}/metrics"`)} | grep -E '^node_textfile_scrape_error '`,
      /^node_textfile_scrape_error 0$/m,
    ),
    {
      ...outputMatches('its /metrics has ZFS metrics', `${listenAddressScript(v.node_exporter_listen)}\n${fetch(`"http://$addr:${NODE_EXPORTER_PORT}/metrics"`)} | grep -cE '^node_zfs_'`, /^[1-9]\d*$/m),
      skipUnless: { script: 'test -d /proc/spl/kstat/zfs', reason: 'no ZFS module loaded on this host (no /proc/spl/kstat/zfs)' },
    },
    outputMatches(
      'the reboot-needed state is readable',
      'test -r /proc/cmdline && if [ -e /var/run/reboot-required ]; then echo reboot-required; else echo no-reboot-required-file; fi',
      /^(reboot-required|no-reboot-required-file)$/m,
    ),
  ];
  if (mode !== 'none') {
    const options = kernelOptions(mode);
    checks.push(
      outputMatches(
        `the boot configuration has ${options.join(' ')}`,
        `if proxmox-boot-tool status 2>/dev/null | grep -qE 'is configured with: .*(uefi|systemd-boot)'; then head -n 1 /etc/kernel/cmdline; else cat ${GRUB_DROP_IN}; fi`,
        new RegExp(options.map((o) => `(?=[\\s\\S]*(^|[\\s"])${o.replace(/\./g, '\\.')}(\\s|"|$))`).join('')),
      ),
      outputMatches(`${MODULES_LOAD_FILE} lists the iGPU modules`, `cat ${MODULES_LOAD_FILE}`, new RegExp(igpuModules(mode, '6.8').map((m) => `(?=[\\s\\S]*^${m}$)`).join(''), 'm')),
      {
        // The simulated ESPs show what proxmox-boot-tool refresh would have written: proof the refresh ran.
        ...outputMatches('the simulated ESP boot entries carry the options', "grep -h '^options' /var/lib/pve-simulator/esp/*/loader/entries/*.conf", new RegExp(options.map((o) => `(?=.*\\s${o.replace(/\./g, '\\.')}(\\s|$))`).join(''))),
        skipUnless: { script: 'ls /var/lib/pve-simulator/esp/*/loader/entries/*.conf >/dev/null 2>&1', reason: 'no simulated systemd-boot ESP (not the lab, or a GRUB host)' },
      },
    );
  }
  return checks;
}
