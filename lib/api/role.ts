import type { Handler, Step } from './step.ts';
import type { VerifyCheck } from './verify.ts';
import type { Facts } from '../facts/facts.ts';

/** A role's variable values: plain data that YAML can carry. */
export type VarValue = string | number | boolean | string[] | { [key: string]: VarValue } | VarValue[];
export type Vars = Record<string, VarValue>;

/** A command-line flag a role or playbook declares (e.g. --wipe <disk>). */
export interface ExtraFlag {
  name: string;
  type: 'string' | 'boolean';
  multiple?: boolean;
  description: string;
}

/** Values of the flags a role declared, by flag name (absent when not given). */
export type RoleFlags = Record<string, string | boolean | string[] | undefined>;

export interface VarSpec {
  /** Shown in the inventory example and in error messages. */
  description: string;
}

export interface Role<V extends Vars = Vars> {
  name: string;
  description: string;
  /** The inventory group whose hosts the role runs on. */
  hosts: string;
  /** Every variable the role reads, with its default; the inventory may set only these (and the connection keys). */
  defaults: V;
  docs: { [K in keyof V]: VarSpec };
  /** .env variables the role needs whatever the inventory says. */
  requiredEnv?: string[];
  /** Rejects bad values before anything runs: the inventory error then points at the variable's line. */
  validate?(vars: V): { key: keyof V & string; message: string; fix: string } | undefined;
  /**
   * Flags the role adds to every playbook that runs it (e.g. --wipe <disk>): decisions that must be made per run on the
   * command line, never left in the inventory.
   */
  flags?: ExtraFlag[];
  steps(vars: V, flags: RoleFlags): Step[];
  handlers?(vars: V): Handler[];
  /**
   * Lines printed after the recap for each host where the role ran without a failure (also with --check): URLs, DNS
   * records, what to do next. Must not change anything.
   */
  summary?(vars: V, facts: Facts): string[];
  /** Read-only assertions the lab harness runs on each host after converging the role. */
  verify?(vars: V): VerifyCheck[];
}

export function defineRole<V extends Vars>(role: Role<V>): Role<Vars> {
  return role as unknown as Role<Vars>;
}
