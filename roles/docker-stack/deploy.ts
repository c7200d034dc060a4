/** Checking the engine, validating, pulling and starting the project, then waiting for it to be healthy. */
import type { Change, Step } from '../../lib/api/step.ts';
import { assertOk } from '../../lib/connectors/connector.ts';
import { cmd, shq } from '../../lib/connectors/shell.ts';
import { parseComposePs, parseConfigHashes } from '../../lib/compose/ps.ts';
import { registerSecret } from '../../lib/redact.ts';
import { deployDecision, type Decision } from './deploy-decision.ts';
import { notReady, psScript, unhealthyReport, waitHealthy, type Run } from './health.ts';
import { sections } from '../../lib/modules/probe-sections.ts';
import { DOCKER_STACK_PARTS, wantedServices } from './services.ts';
import type { PendingFiles } from './files.ts';
import type { Profile, V } from './settings.ts';

/**
 * Healthchecks use start_interval (Docker Engine 25, Compose 2.20). The deploy decision compares `config --hash` with
 * the containers' labels: Compose 2.19–2.22 hashed services with depends_on differently in the two (docker/compose
 * #10907, fixed in 2.23.0) and 2.23.0 printed nothing for `--hash '*'` (#11145); from 2.21 `ps --format json` prints
 * one object per line with the labels.
 */
const MIN_ENGINE = 25;
const MIN_COMPOSE: [number, number] = [2, 24];
const PULL_TIMEOUT_MS = 60 * 60 * 1000;
const UP_TIMEOUT_MS = 30 * 60 * 1000;
const HEALTH_POLL_MS = 5000;

const inDir = (v: V, command: string) => `cd ${shq(v.compose_dir)} && ${command}`;

export function engineStep(): Step {
  return {
    title: 'Docker Engine and Compose v2 are there',
    tags: ['deploy'],
    probe: [
      "if ! command -v docker >/dev/null 2>&1; then echo '@@missing docker'; exit 0; fi",
      // With the daemon down, --format prints nothing: then the last line of the full output says why.
      'v=$(docker version --format \'{{.Server.Version}}\' 2>/dev/null)',
      'echo "@@engine ${v:-$(docker version 2>&1 | tail -n 1)}"',
      'echo "@@compose $(docker compose version --short 2>&1 | head -n 1)"',
    ].join('\n'),
    check(ctx, probe) {
      const s = sections(probe?.stdout ?? '');
      const fix = 'run the vm-services role first (it installs Docker Engine and Compose v2)';
      if (s.has('missing')) throw new Error(`docker is not installed on ${ctx.host}: ${fix}`);
      const engine = s.get('engine')?.value ?? '';
      const compose = s.get('compose')?.value ?? '';
      const em = /^(\d+)\.\d+/.exec(engine);
      if (!em) throw new Error(`the Docker daemon on ${ctx.host} does not answer (${engine || 'no output'}): start it (systemctl start docker) or ${fix}`);
      if (Number(em[1]) < MIN_ENGINE) throw new Error(`Docker Engine ${engine} on ${ctx.host} is older than ${MIN_ENGINE} (healthchecks need start_interval): upgrade Docker (${fix})`);
      const cm = /^v?(\d+)\.(\d+)/.exec(compose);
      if (!cm) throw new Error(`Docker Compose v2 (\`docker compose\`) is not available on ${ctx.host} (${compose || 'no output'}): ${fix}`);
      const [maj, min] = [Number(cm[1]), Number(cm[2])];
      if (maj < MIN_COMPOSE[0] || (maj === MIN_COMPOSE[0] && min < MIN_COMPOSE[1])) {
        throw new Error(`Docker Compose ${compose} on ${ctx.host} is older than ${MIN_COMPOSE.join('.')}: upgrade it (${fix})`);
      }
      return null;
    },
    apply: async () => undefined,
  };
}

/** Read-only: the real engine's own validation of compose.yml with its .env (also catches a hand-edited .env). */
export function validateStep(v: V): Step {
  return {
    title: 'docker compose config validates the project',
    tags: ['deploy'],
    probe: `${inDir(v, 'docker compose config -q')} 2>&1`,
    check(_ctx, probe) {
      if (probe && probe.code === 0) return null;
      const out = (probe?.stdout ?? '').trim().split('\n').slice(-6).join('\n');
      throw new Error(`docker compose config rejects the project in ${v.compose_dir}: ${out || 'no output'}`);
    },
    apply: async () => undefined,
  };
}

/** Prints "@@image <ref>" then the local image ID (empty when the image is not on the host), per wanted image. */
function imagesProbe(v: V, parts: readonly Profile[]): string {
  const refs = [...new Set(wantedServices(v, parts).map((w) => w.image))];
  return refs.map((r) => `echo ${shq(`@@image ${r}`)}; docker image inspect --format '{{.Id}}' ${shq(r)} 2>/dev/null || true`).join('\n');
}

function imageIds(stdout: string): Map<string, string> {
  const ids = new Map<string, string>();
  const re = /^@@image (\S+)\n(sha256:[0-9a-f]+)?/gm;
  for (const m of stdout.matchAll(re)) if (m[2]) ids.set(m[1]!, m[2]);
  return ids;
}

/** Pulls the images of `parts` that are not on the host yet (a pinned tag that is present is the wanted version). */
export function pullStep(v: V, parts: readonly Profile[] = DOCKER_STACK_PARTS, title = 'Pull missing images'): Step {
  const command = (services: string[]) => inDir(v, cmd('docker', 'compose', 'pull', ...services));
  return {
    title,
    tags: ['deploy', 'pull'],
    when: () => v.stack_pull || 'stack_pull is false (the images must already be on the host)',
    probe: imagesProbe(v, parts),
    check(_ctx, probe) {
      const ids = imageIds(probe?.stdout ?? '');
      const missing = wantedServices(v, parts).filter((w) => !ids.has(w.image));
      return missing.length ? { summary: command(missing.map((m) => m.service)) } : null;
    },
    async apply(ctx, change) {
      const res = await ctx.conn.run(change.summary, { timeoutMs: PULL_TIMEOUT_MS });
      assertOk(res, 'docker compose pull (is the registry reachable from the host?)');
    },
  };
}

interface DeployPlan {
  decision: Decision;
  services: string[];
}

/**
 * Starts the services of `parts` (docker-stack: every part but monitoring) by name, so that a part another role
 * deploys is not started before its configuration exists; that part's containers are kept, those of disabled parts removed.
 */
export function deployStep(v: V, pending?: PendingFiles, parts: readonly Profile[] = DOCKER_STACK_PARTS, title = 'Stack up and healthy'): Step {
  const mine = wantedServices(v, parts);
  const keep = new Set(wantedServices(v).map((w) => w.service).filter((s) => !mine.some((m) => m.service === s)));
  const up = inDir(v, cmd('docker', 'compose', 'up', '-d', '--remove-orphans', ...mine.map((m) => m.service)));
  const timeoutMs = v.stack_health_timeout_seconds * 1000;
  let plan: DeployPlan | undefined;
  return {
    title,
    tags: ['deploy'],
    probe: [
      `cd ${shq(v.compose_dir)} 2>/dev/null || { echo '@@no-project'; exit 0; }`,
      // Read only to hide the password from anything printed below (container logs, errors).
      `echo "@@password $(sed -n 's/^DB_PASSWORD=//p' .env 2>/dev/null | tail -n 1)"`,
      // stdout only (Compose prints warnings on stderr); on failure the error comes in its own section.
      ...[
        ['ps', 'docker compose ps --all --format json'],
        ['hash', "docker compose config --hash '*'"],
      ].map(([name, command]) => `echo '@@${name}'; ${command} 2>/dev/null; rc=$?; echo "@@${name}-rc $rc"; [ $rc -eq 0 ] || { echo '@@${name}-err'; ${command} 2>&1 | tail -n 5; }`),
      imagesProbe(v, parts),
    ].join('\n'),
    check(ctx, probe): Change | null {
      const out = probe?.stdout ?? '';
      const s = sections(out);
      registerSecret(s.get('password')?.value.replace(/^'|'$/g, ''));
      const wait = `wait up to ${v.stack_health_timeout_seconds}s until every container is healthy`;
      if (ctx.checkMode && pending?.size) {
        // The files on the host are the old ones: what they will make Compose recreate cannot be probed yet.
        return { summary: `${up} (after ${[...pending].join(' and ')} change${pending.size > 1 ? '' : 's'}: Compose recreates the services whose configuration changes); then ${wait}` };
      }
      if (s.has('no-project')) throw new Error(`${v.compose_dir} does not exist: the steps above create it`);
      for (const [name, what] of [['ps', 'docker compose ps'], ['hash', 'docker compose config --hash']]) {
        if (s.get(`${name}-rc`)?.value !== '0') throw new Error(`${what} failed in ${v.compose_dir}: ${s.get(`${name}-err`)?.body.trim().split('\n').join(' ') || 'no output'}`);
      }
      const wanted = mine;
      const ids = imageIds(out);
      const missing = wanted.filter((w) => !ids.has(w.image));
      if (missing.length && !v.stack_pull) {
        throw new Error(
          `${missing.map((m) => `${m.image} (${m.service})`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not on ${ctx.host} and stack_pull is false: load ${missing.length > 1 ? 'them' : 'it'} (docker load -i <file>) or set stack_pull: true`,
        );
      }
      const decision = deployDecision(wanted, { containers: parseComposePs(s.get('ps')?.body ?? ''), hashes: parseConfigHashes(s.get('hash')?.body ?? ''), imageIds: ids }, keep);
      plan = { decision, services: wanted.map((w) => w.service) };
      const actions: string[] = [];
      if (decision.remove.length) actions.push(`${stopCommand(decision.remove)} (not in stack_profiles)`);
      if (decision.up.length) actions.push(`${up} (${decision.up.join('; ')})`);
      if (decision.up.length || decision.remove.length || decision.notHealthy.length) {
        const waiting = decision.notHealthy.length ? `: ${decision.notHealthy.map((n) => `${n.name} is ${n.health}`).join(', ')}` : '';
        actions.push(`${wait}${waiting}`);
      }
      return actions.length ? { summary: actions.join('; then ') } : null;
    },
    async apply(ctx) {
      if (!plan) throw new Error('deploy: nothing was planned');
      const run = (script: string) => ctx.conn.run(script);
      if (plan.decision.remove.length) assertOk(await run(stopCommand(plan.decision.remove)), 'stopping the containers of disabled parts');
      if (plan.decision.up.length) {
        const res = await ctx.conn.run(`${up} 2>&1`, { timeoutMs: UP_TIMEOUT_MS });
        for (const line of res.stdout.trim().split('\n').filter(Boolean).slice(-20)) ctx.log(line);
        if (res.code !== 0) await failUp(run, v, plan.services, res.stdout);
      }
      await waitHealthy(run, { dir: v.compose_dir, services: plan.services, timeoutMs, intervalMs: HEALTH_POLL_MS, log: ctx.log });
    },
  };
}

const stopCommand = (names: string[]) => `${cmd('docker', 'stop', '-t', '30', ...names)} && ${cmd('docker', 'rm', ...names)}`;

/** `up` failed (often: a dependency never became healthy): say so with the logs of the containers that are not ready. */
async function failUp(run: Run, v: V, services: string[], output: string): Promise<never> {
  const tail = output.trim().split('\n').slice(-6).join('\n');
  const ps = await run(psScript(v.compose_dir));
  const pending = ps.code === 0 ? notReady(services, parseComposePs(ps.stdout)) : [];
  const report = pending.length ? `\n${await unhealthyReport(run, pending, 'when docker compose up gave up')}` : '';
  throw new Error(`docker compose up failed: ${tail}${report}`);
}
