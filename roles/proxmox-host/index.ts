import { defineRole, type RoleFlags } from '../../lib/api/role.ts';
import type { Handler, Step } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { parseIPv4 } from '../../lib/net/cidr.ts';
import { directory, restartService, service } from '../../lib/modules/index.ts';
import { bootOptionsStep } from './boot-loader.ts';
import { defaults, docs, IGPU_MODES, type IgpuMode } from './defaults.ts';
import { i915BlacklistStep, modulesLoadStep } from './igpu-modules.ts';
import { installWithoutRecommends, nodeExporterArgsStep } from './node-exporter.ts';
import { HOST_PATHS, type HostPaths } from './paths.ts';
import { pendingRebootStep, rebootStep, type RebootState } from './reboot.ts';
import { enterpriseOff, noSubscription, oldNoSubscriptionGone, packageListsStep, upgradeStep, type RepoState } from './repositories.ts';
import { subscriptionNoticeStep } from './subscription-notice.ts';
import { NODE_EXPORTER_DEFAULTS, TEXTFILE_DIR } from './templates/node-exporter.ts';
import { PROXMOXLIB } from './templates/subscription-notice.ts';
import { pveRelease } from './version.ts';
import { verifyProxmoxHost } from './verify.ts';

type V = typeof defaults;

/** Fails the role at once, before anything changes, on a host that is not a supported Proxmox VE. */
const isSupportedProxmox: Step = {
  title: 'Proxmox VE host (8 on bookworm or 9 on trixie)',
  check(ctx) {
    const release = pveRelease(ctx.host, ctx.facts);
    ctx.log(`Proxmox VE ${release.version} on Debian ${release.codename}, kernel ${release.kernel || ctx.facts.kernel}`);
    return null;
  },
  apply: async () => undefined,
};

/** The role's steps on given paths (HOST_PATHS on a real host; temporary paths in tests). */
export function proxmoxHostSteps(v: V, flags: RoleFlags, p: HostPaths = HOST_PATHS): Step[] {
  const mode = v.igpu_mode as IgpuMode;
  const upgrade = flags['upgrade'] === true;
  const repos: RepoState = { changed: false };
  const reboot: RebootState = {};
  return [
    isSupportedProxmox,
    enterpriseOff(p, 'pve-enterprise.list', repos),
    enterpriseOff(p, 'ceph.list', repos),
    enterpriseOff(p, 'pve-enterprise.sources', repos),
    enterpriseOff(p, 'ceph.sources', repos),
    noSubscription(p, 8, v.proxmox_repo_url, repos),
    noSubscription(p, 9, v.proxmox_repo_url, repos),
    oldNoSubscriptionGone(p, repos),
    packageListsStep(p, v.proxmox_repo_url, repos, upgrade),
    upgradeStep(upgrade),
    bootOptionsStep(mode, p),
    modulesLoadStep(mode, p.modulesLoad),
    i915BlacklistStep(mode === 'passthrough' && v.igpu_blacklist_i915, p),
    installWithoutRecommends('Install node-exporter', ['prometheus-node-exporter']),
    directory({ title: 'node-exporter textfile directory', path: TEXTFILE_DIR, tags: ['node-exporter'] }),
    nodeExporterArgsStep(NODE_EXPORTER_DEFAULTS, v.node_exporter_listen),
    service({ title: 'node-exporter running', name: 'prometheus-node-exporter', enabled: true, state: 'started', tags: ['node-exporter'] }),
    subscriptionNoticeStep(PROXMOXLIB, () => v.remove_subscription_notice || 'remove_subscription_notice is false'),
    pendingRebootStep(mode, reboot),
    rebootStep(mode, reboot, { reboot: flags['reboot'] === true, timeoutSec: v.reboot_timeout_seconds }),
  ];
}

export const proxmoxHost = defineRole({
  name: 'proxmox-host',
  description: 'The Proxmox VE host: no-subscription repositories, iGPU kernel options (GVT-g or passthrough), node-exporter; upgrades and reboots only when asked',
  hosts: 'pve',
  defaults,
  docs,
  flags: [
    { name: 'upgrade', type: 'boolean', description: 'proxmox-host: install all pending updates (apt-get dist-upgrade); it reports, never does, the reboot they may need' },
    { name: 'reboot', type: 'boolean', description: 'proxmox-host: reboot the Proxmox host when it needs it (new kernel options or kernel) and wait for it to come back' },
  ],
  validate(v) {
    if (!(IGPU_MODES as readonly string[]).includes(v.igpu_mode)) return { key: 'igpu_mode', message: `"${v.igpu_mode}" is not a mode`, fix: `use one of ${IGPU_MODES.join(', ')}` };
    if (v.igpu_blacklist_i915 && v.igpu_mode !== 'passthrough') {
      return { key: 'igpu_blacklist_i915', message: `only makes sense with igpu_mode passthrough (it is ${v.igpu_mode})`, fix: 'set igpu_mode: passthrough, or igpu_blacklist_i915: false' };
    }
    if (!/^(https?|file):\/\/[^\s]+$/.test(v.proxmox_repo_url)) return { key: 'proxmox_repo_url', message: `"${v.proxmox_repo_url}" is not a repository URL`, fix: 'e.g. http://download.proxmox.com/debian/pve' };
    if (v.node_exporter_listen !== '' && !isIpv4(v.node_exporter_listen)) {
      return { key: 'node_exporter_listen', message: `"${v.node_exporter_listen}" is not an IPv4 address`, fix: "write the host's LAN address, e.g. 192.168.1.10, or leave it empty to use the address of its default route" };
    }
    if (!Number.isInteger(v.reboot_timeout_seconds) || v.reboot_timeout_seconds < 60) return { key: 'reboot_timeout_seconds', message: `${v.reboot_timeout_seconds} is too short`, fix: 'at least 60 (a Proxmox host takes a minute or more to boot)' };
    return undefined;
  },
  steps: (v, flags) => proxmoxHostSteps(v, flags),
  handlers: (): Handler[] => [
    restartService('prometheus-node-exporter'),
    {
      name: 'restart pveproxy',
      run: async (ctx) => {
        assertOk(await ctx.conn.run('systemctl reload-or-restart pveproxy'), 'restarting pveproxy (the web UI)');
      },
    },
  ],
  verify: verifyProxmoxHost,
});

/** The address goes into node-exporter's ARGS as it is: no surrounding blanks either. */
function isIpv4(s: string): boolean {
  return s.trim() === s && parseIPv4(s) !== undefined;
}
