import { defineRole } from '../../lib/api/role.ts';
import type { Step } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { cmd, shq } from '../../lib/connectors/shell.ts';
import { apt, aptSource, service, sysctl } from '../../lib/modules/index.ts';
import { defaults, docs } from './defaults.ts';
import { parseStatus, tailscaleUpArgs } from './up.ts';
import { verifyTailscale } from './verify.ts';

const KEYRING = '/usr/share/keyrings/tailscale-archive-keyring.gpg';
const REPO = 'https://pkgs.tailscale.com/stable';

/** Tailscale's signing key, fetched on the host; an unreachable repository fails at once, saying so. */
const repositoryKey: Step = {
  title: "Tailscale's apt signing key",
  probe: `test -s ${KEYRING}`,
  check: (ctx, probe) => (probe?.code === 0 ? null : { summary: `download ${REPO}/${ctx.facts.osId}/${ctx.facts.osCodename}.noarmor.gpg to ${KEYRING}` }),
  async apply(ctx) {
    const url = `${REPO}/${ctx.facts.osId}/${ctx.facts.osCodename}.noarmor.gpg`;
    const res = await ctx.conn.run(`curl -fsS --connect-timeout 10 --max-time 60 -o ${KEYRING}.tmp ${shq(url)} && mv -f ${KEYRING}.tmp ${KEYRING} && chmod 0644 ${KEYRING}`);
    if (res.code !== 0) {
      await ctx.conn.run(`rm -f ${KEYRING}.tmp`);
      throw new Error(
        `Tailscale's apt repository is unreachable from ${ctx.host} (${res.stderr.trim().split('\n').pop() ?? `curl exit ${res.code}`}): the host needs HTTPS access to pkgs.tailscale.com — check its internet access and DNS`,
      );
    }
  },
};

export const tailscale = defineRole({
  name: 'tailscale',
  description: 'Tailscale VPN from its apt repository, logged in once with the auth key from .env',
  hosts: 'services',
  defaults: { ...defaults, lan_cidr: '192.168.1.0/24' },
  docs: { ...docs, lan_cidr: { description: 'Your home network (see role hardening).' } },
  steps: (v) => [
    apt({ title: 'curl and gnupg for the repository', packages: ['curl', 'ca-certificates'] }),
    repositoryKey,
    aptSource({ title: "Tailscale's apt repository", name: 'tailscale', line: (f) => `deb [signed-by=${KEYRING}] ${REPO}/${f.osId} ${f.osCodename} main` }),
    // A new repository: refresh the lists whatever their age before installing.
    apt({ title: 'Install Tailscale', packages: ['tailscale'], cacheValidSeconds: 0 }),
    service({ title: 'tailscaled running', name: 'tailscaled', enabled: true, state: 'started' }),
    sysctl({ title: 'IPv4 forwarding for subnet routes', name: 'net.ipv4.ip_forward', value: '1', file: '/etc/sysctl.d/99-tailscale.conf', when: () => v.tailscale_advertise_routes || 'tailscale_advertise_routes is false' }),
    {
      title: 'Join the tailnet',
      probe: 'tailscale status --json 2>/dev/null || true',
      check(_ctx, probe) {
        const state = parseStatus(probe?.stdout ?? '');
        return state.authenticated ? null : { summary: `tailscale up (node is ${state.backendState}; key from .env)` };
      },
      async apply(ctx) {
        const keyFile = '/run/msh-tailscale-authkey';
        const args = tailscaleUpArgs({ authKeyFile: keyFile, advertiseRoutes: v.tailscale_advertise_routes ? [v.lan_cidr] : [], ssh: v.tailscale_ssh, hostname: v.tailscale_hostname });
        const script = `umask 077; cat > ${keyFile}; rc=0; timeout 120 tailscale ${cmd(...args)} || rc=$?; rm -f ${keyFile}; exit $rc`;
        assertOk(await ctx.conn.run(script, { input: v.tailscale_authkey }), 'tailscale up');
      },
    },
  ],
  verify: verifyTailscale,
});
