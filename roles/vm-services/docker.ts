/**
 * Docker Engine and Compose v2 in the VM: from Docker's apt repository (Ubuntu, or Debian when asked), or from the
 * distribution where it has Compose v2 (Debian 13: docker.io + docker-compose; Ubuntu: docker.io + docker-compose-v2).
 */
import type { Change, Step } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { cmd, shq } from '../../lib/connectors/shell.ts';
import type { Facts } from '../../lib/facts/facts.ts';
import { apt, aptSource, directory, service } from '../../lib/modules/index.ts';

export const DOCKER_KEYRING = '/etc/apt/keyrings/docker.asc';
/** Docker's release key ("Docker Release (CE deb)"), as Docker's install guide gives it. */
export const DOCKER_KEY_FINGERPRINT = '9DC858229FC7DD38854AE2D88D81803C0EBFCD88';
const TAGS = ['docker', 'vm-services'];

/** Debian releases whose docker-compose package is Compose v1 (1.x, Python), with no v2 in their backports. */
const DEBIAN_COMPOSE_V1 = ['stretch', 'buster', 'bullseye', 'bookworm'];

export type DockerPlan =
  | { source: 'docker-repo'; repo: string; suite: string; packages: string[]; conflicts: string[]; why: string }
  | { source: 'distribution'; packages: string[]; conflicts: string[]; why: string }
  | { error: string };

/** Where Docker comes from on this OS (vm_docker_source and the host's /etc/os-release), and what must not be installed. */
export function dockerPlan(setting: string, osId: string, codename: string): DockerPlan {
  if (osId !== 'ubuntu' && osId !== 'debian') return { error: `Docker: this role installs Docker on Ubuntu or Debian, and this host is ${osId || 'an unknown OS'}` };
  const repo = () => ({
    source: 'docker-repo' as const,
    repo: `https://download.docker.com/linux/${osId}`,
    suite: codename,
    packages: ['docker-ce', 'docker-ce-cli', 'containerd.io', 'docker-compose-plugin'],
    // Docker's guide: remove the distribution's packages first, they conflict.
    conflicts: ['docker.io', 'docker-doc', 'docker-compose', 'docker-compose-v2', 'podman-docker', 'containerd', 'runc'],
  });
  const distribution = () => ({
    source: 'distribution' as const,
    packages: osId === 'ubuntu' ? ['docker.io', 'docker-compose-v2'] : ['docker.io', 'docker-cli', 'docker-compose'],
    conflicts: ['docker-ce', 'docker-ce-cli', 'containerd.io', 'docker-compose-plugin'],
  });
  const v1Only = osId === 'debian' && DEBIAN_COMPOSE_V1.includes(codename);
  const v1Error = {
    error:
      `Debian ${codename}'s docker-compose is Compose v1 (1.29), and ${codename}-backports has no Compose v2: ` +
      "set vm_docker_source: docker-repo (Docker's apt repository for Debian), or use Debian 13 (trixie), whose docker-compose is v2",
  };
  if (setting === 'docker-repo') return { ...repo(), why: 'vm_docker_source is docker-repo' };
  if (setting === 'distribution') return v1Only ? v1Error : { ...distribution(), why: 'vm_docker_source is distribution' };
  if (osId === 'ubuntu') return { ...repo(), why: "Ubuntu: Docker's apt repository" };
  return v1Only ? v1Error : { ...distribution(), why: `Debian ${codename}: its docker.io and docker-compose (Compose v2)` };
}

/** The major version of `docker compose version` output ("Docker Compose version v2.29.1", "… 2.26.1+ds1-4"). */
export function composeMajor(output: string): number | undefined {
  const m = /Docker Compose version v?(\d+)\./.exec(output);
  return m ? Number(m[1]) : undefined;
}

/** dpkg's architecture name of `uname -m`, for the repository's arch= option. */
export function debArch(machine: string): string | undefined {
  return { x86_64: 'amd64', aarch64: 'arm64', armv7l: 'armhf' }[machine];
}

export function dockerRepoLine(plan: Extract<DockerPlan, { source: 'docker-repo' }>, machine: string): string {
  const arch = debArch(machine);
  return `deb [${arch ? `arch=${arch} ` : ''}signed-by=${DOCKER_KEYRING}] ${plan.repo} ${plan.suite} stable`;
}

export function dockerSteps(v: { vm_docker_source: string; vm_user: string }): Step[] {
  const planFor = (f: Facts) => dockerPlan(v.vm_docker_source, f.osId, f.osCodename);
  const from = (source: 'docker-repo' | 'distribution', os?: string) => (f: Facts) => {
    const p = planFor(f);
    if ('error' in p) return true; // the source step has failed already
    if (p.source !== source) return `Docker comes from ${p.source === 'docker-repo' ? "Docker's apt repository" : "the distribution's packages"}`;
    return os === undefined || f.osId === os || `this host runs ${f.osId}, not ${os}`;
  };
  const repoOnly = from('docker-repo');
  const repoPlan = (f: Facts) => planFor(f) as Extract<DockerPlan, { source: 'docker-repo' }>;
  return [
    dockerSource(planFor),
    apt({ title: 'curl and gpg for Docker\'s repository', packages: ['ca-certificates', 'curl', 'gpg'], tags: TAGS, when: repoOnly }),
    directory({ title: 'apt keyring directory', path: '/etc/apt/keyrings', mode: '0755', tags: TAGS, when: repoOnly }),
    dockerKey(repoOnly),
    aptSource({ title: "Docker's apt repository", name: 'docker', line: (f) => dockerRepoLine(repoPlan(f), f.arch), tags: TAGS, when: repoOnly }),
    // A new repository: refresh the lists whatever their age before installing.
    apt({ title: 'Docker Engine and Compose (Docker\'s packages)', packages: ['docker-ce', 'docker-ce-cli', 'containerd.io', 'docker-compose-plugin'], cacheValidSeconds: 0, tags: TAGS, when: repoOnly }),
    apt({ title: 'Docker Engine and Compose (Debian\'s packages)', packages: ['docker.io', 'docker-cli', 'docker-compose'], tags: TAGS, when: from('distribution', 'debian') }),
    apt({ title: 'Docker Engine and Compose (Ubuntu\'s packages)', packages: ['docker.io', 'docker-compose-v2'], tags: TAGS, when: from('distribution', 'ubuntu') }),
    service({ title: 'Docker running', name: 'docker', enabled: true, state: 'started', tags: TAGS }),
    dockerGroupMember(v.vm_user),
    composeV2(),
  ];
}

/** Fails early when this OS has no Compose v2 from the chosen source, or when Docker from another source is installed. */
function dockerSource(planFor: (f: Facts) => DockerPlan): Step {
  return {
    title: 'Docker source',
    tags: TAGS,
    check(ctx) {
      const p = planFor(ctx.facts);
      if ('error' in p) throw new Error(p.error);
      const installed = p.conflicts.filter((name) => ctx.facts.packages.has(name));
      if (installed.length) {
        const other = p.source === 'docker-repo' ? 'distribution' : 'docker-repo';
        throw new Error(
          `Docker is to come from ${p.source === 'docker-repo' ? "Docker's apt repository" : 'the distribution'} (${p.why}), but ${installed.join(', ')} from the other source ${installed.length > 1 ? 'are' : 'is'} installed: ` +
            `remove ${installed.length > 1 ? 'them' : 'it'} first (apt-get remove ${installed.join(' ')}; images, containers and volumes in /var/lib/docker stay), or set vm_docker_source: ${other}`,
        );
      }
      ctx.log(`Docker from ${p.source}: ${p.why}`);
      return null;
    },
    apply: async () => undefined,
  };
}

const keyUrl = (f: Facts) => `https://download.docker.com/linux/${f.osId}/gpg`;
/** Prints the "fpr" lines of a key file, without touching the user's keyrings. */
const fingerprints = (file: string) => `d=$(mktemp -d) && GNUPGHOME="$d" gpg --batch --quiet --show-keys --with-colons ${file} 2>/dev/null | grep '^fpr:'; rm -rf "$d"`;

/** Docker's signing key, fetched on the host and kept only when its fingerprint is Docker's. */
function dockerKey(when: Step['when']): Step {
  return {
    title: "Docker's apt signing key",
    tags: TAGS,
    when,
    probe: `if [ -s ${DOCKER_KEYRING} ] && command -v gpg >/dev/null; then ${fingerprints(DOCKER_KEYRING)}; fi`,
    check: (ctx, probe): Change | null =>
      (probe?.stdout ?? '').includes(`:${DOCKER_KEY_FINGERPRINT}:`) ? null : { summary: `download ${keyUrl(ctx.facts)} to ${DOCKER_KEYRING} (key ${DOCKER_KEY_FINGERPRINT})` },
    async apply(ctx) {
      const tmp = `${DOCKER_KEYRING}.tmp`;
      const res = await ctx.conn.run(`curl -fsS --connect-timeout 10 --max-time 60 -o ${tmp} ${shq(keyUrl(ctx.facts))}`);
      if (res.code !== 0) {
        await ctx.conn.run(`rm -f ${tmp}`);
        throw new Error(`Docker's apt repository is unreachable from ${ctx.host} (${res.stderr.trim().split('\n').pop() ?? `curl exit ${res.code}`}): the host needs HTTPS access to download.docker.com — check its internet access and DNS`);
      }
      const fpr = await ctx.conn.run(fingerprints(tmp));
      if (!fpr.stdout.includes(`:${DOCKER_KEY_FINGERPRINT}:`)) {
        await ctx.conn.run(`rm -f ${tmp}`);
        throw new Error(`the key at ${keyUrl(ctx.facts)} is not Docker's release key ${DOCKER_KEY_FINGERPRINT} (got ${fpr.stdout.trim() || 'no key'}): not installed`);
      }
      assertOk(await ctx.conn.run(`chmod 0644 ${tmp} && mv -f ${tmp} ${DOCKER_KEYRING}`), `installing ${DOCKER_KEYRING}`);
    },
  };
}

/** The admin user may run docker without sudo (membership of docker is root-equivalent: only the admin gets it). */
function dockerGroupMember(user: string): Step {
  return {
    title: `${user} in the docker group`,
    tags: TAGS,
    probe: `id -nG ${shq(user)} 2>&1; echo "@@rc $?"`,
    check(ctx, probe) {
      const out = probe?.stdout ?? '';
      if (!/^@@rc 0$/m.test(out)) throw new Error(`user ${user} does not exist on ${ctx.host}: set vm_user to the VM's admin user (this run logs in as ${ctx.facts.loginUser || 'root'})`);
      const groups = out.split('\n')[0]!.trim().split(/\s+/);
      return groups.includes('docker') ? null : { summary: cmd('usermod', '-aG', 'docker', user) };
    },
    async apply(ctx) {
      assertOk(await ctx.conn.run(cmd('usermod', '-aG', 'docker', user)), `adding ${user} to the docker group`);
    },
  };
}

/** `docker compose` must be Compose v2 or later (the Go plugin), which the stack's compose file needs. */
function composeV2(): Step {
  return {
    title: 'docker compose is Compose v2',
    tags: TAGS,
    probe: 'docker compose version 2>&1; true',
    check(ctx, probe) {
      const out = (probe?.stdout ?? '').trim();
      const major = composeMajor(out);
      if (major === undefined || major < 2) {
        const said = out.split('\n').filter((l) => l.trim()).slice(0, 2).join(' ');
        throw new Error(`docker compose version does not answer as Compose v2 (${said || 'no output'}): the Compose plugin is missing or too old`);
      }
      ctx.log(out.split('\n')[0]!);
      return null;
    },
    apply: async () => undefined,
  };
}
