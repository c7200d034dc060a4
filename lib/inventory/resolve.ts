import type { Role, VarValue, Vars } from '../api/role.ts';
import { InputError } from '../errors.ts';
import type { EnvFile } from './env-file.ts';
import type { InventoryHost, SourcePos } from './types.ts';

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Names of .env variables referenced by a value. */
export function envRefs(value: VarValue): string[] {
  if (typeof value === 'string') return [...value.matchAll(REF)].map((m) => m[1]!);
  if (Array.isArray(value)) return value.flatMap(envRefs);
  if (value && typeof value === 'object') return Object.values(value).flatMap(envRefs);
  return [];
}

function interpolate(value: VarValue, env: Record<string, string>): VarValue {
  if (typeof value === 'string') return value.replace(REF, (_, name: string) => env[name] ?? '');
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env)) as VarValue;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)]));
  return value;
}

/** Picks and interpolates `keys` from the host's vars; a referenced .env variable that is missing is an input error. */
export function resolveKeys(host: InventoryHost, keys: string[], env: EnvFile, fallback: Vars = {}): Vars {
  const out: Vars = {};
  for (const key of keys) {
    const fromHost = host.vars[key];
    const value = fromHost ?? fallback[key];
    if (value === undefined) continue;
    // Role defaults may refer to .env too (a key's default is "${NAME}"): a missing one is an error either way.
    for (const name of envRefs(value)) {
      if (!(name in env.values)) throw missingEnv(name, env, fromHost !== undefined ? host.origins[key] : undefined, key);
    }
    out[key] = interpolate(value, env.values);
  }
  return out;
}

/** The role's variables for this host: role defaults, overridden by the inventory, with ${VAR} taken from .env. */
export function resolveRoleVars(host: InventoryHost, role: Role, env: EnvFile): Vars {
  for (const name of role.requiredEnv ?? []) {
    if (!(name in env.values) || env.values[name] === '') {
      throw new InputError(
        `${name} is required by role ${role.name} but is not set`,
        { file: env.file },
        `add a line ${name}=<value> to ${env.file} (chmod 600), or run npx zx playbooks/setup.ts`,
      );
    }
  }
  return resolveKeys(host, Object.keys(role.defaults), env, role.defaults);
}

function missingEnv(name: string, env: EnvFile, where: SourcePos | undefined, key: string): InputError {
  return new InputError(
    `\${${name}} is used ${where ? 'here' : `by ${key}`} but ${name} is not set in ${env.file}${env.exists ? '' : ' (the file does not exist)'}`,
    where ?? { file: env.file },
    `add a line ${name}=<value> to ${env.file} (chmod 600)`,
  );
}
