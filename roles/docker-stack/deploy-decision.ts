/**
 * Whether `docker compose up` has anything to do, decided from what the host reports. Compose itself recreates
 * nothing when nothing changed, but the step must say so before running it: a service needs `up` when its container
 * is missing, stopped, built from another configuration (its com.docker.compose.config-hash label differs from what
 * `docker compose config --hash` computes now) or from another image than the one its reference names today.
 */
import { CONFIG_HASH_LABEL, IMAGE_ID_LABEL, type ComposeContainer } from '../../lib/compose/ps.ts';

export interface WantedService {
  service: string;
  image: string;
}

export interface Observed {
  containers: ComposeContainer[];
  /** `docker compose config --hash '*'`, per service of the active profiles. */
  hashes: Map<string, string>;
  /** Local image ID per image reference; absent when the image is not on the host. */
  imageIds: Map<string, string>;
}

export interface Decision {
  /** Why `up` must run, one phrase per service ("jellyfin: configuration changed"); empty: nothing to start. */
  up: string[];
  /** Containers of the project whose service is not in the enabled parts: stopped and removed. */
  remove: string[];
  /** Running containers that are not (yet) healthy. */
  notHealthy: { name: string; health: string }[];
}

/** Docker's states in which `up` cannot help: the container runs (restarting: it crashed and Docker restarts it). */
const RUNNING_STATES = ['running', 'restarting'];

/** `keep`: services of enabled parts another step deploys; their containers are neither started nor removed here. */
export function deployDecision(wanted: WantedService[], observed: Observed, keep: ReadonlySet<string> = new Set()): Decision {
  const decision: Decision = { up: [], remove: [], notHealthy: [] };
  const names = new Set(wanted.map((w) => w.service));
  for (const c of observed.containers) if (!names.has(c.service) && !keep.has(c.service)) decision.remove.push(c.name);
  for (const w of wanted) {
    const hash = observed.hashes.get(w.service);
    if (hash === undefined) {
      throw new Error(`docker compose config does not list the service ${w.service}: COMPOSE_PROFILES in the project's .env does not match stack_profiles`);
    }
    const mine = observed.containers.filter((c) => c.service === w.service);
    const c = mine[0];
    if (!c) {
      decision.up.push(`${w.service}: no container`);
      continue;
    }
    if (!RUNNING_STATES.includes(c.state)) decision.up.push(`${w.service}: ${c.state || 'not running'}`);
    else if (c.labels[CONFIG_HASH_LABEL] !== hash) decision.up.push(`${w.service}: configuration changed`);
    else if (imageChanged(c, observed.imageIds.get(w.image))) decision.up.push(`${w.service}: image changed`);
    else if (c.state === 'restarting') decision.notHealthy.push({ name: c.name, health: 'restarting' });
    else if (c.health !== 'healthy' && c.health !== '') decision.notHealthy.push({ name: c.name, health: c.health });
    if (mine.length > 1) decision.up.push(`${w.service}: ${mine.length} containers`);
  }
  return decision;
}

/** Compared only when both are known: older Compose versions do not label the image ID. */
function imageChanged(c: ComposeContainer, localId: string | undefined): boolean {
  const created = c.labels[IMAGE_ID_LABEL];
  return created !== undefined && created !== '' && localId !== undefined && created !== localId;
}
