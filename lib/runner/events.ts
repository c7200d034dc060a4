/** Everything the runner reports; renderers and the JSON log only ever see these, already redacted. */
export type StepStatus = 'ok' | 'changed' | 'skipped' | 'failed';

/** What a part of a run cost on one host, from the connector's counters (see ConnectorStats). */
export interface Cost {
  /** SSH connections opened. */
  connections: number;
  /** Commands run through the connector. */
  commands: number;
  /** Remote round trips (each command, plus the connection test, the sudo check, uploads, new-connection checks). */
  roundTrips: number;
}

export interface RoleCost extends Cost {
  role: string;
  seconds: number;
}

export interface HostRecap {
  host: string;
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: boolean;
  seconds: number;
  /** Totals over the run (the connector's counters at the end). */
  connections: number;
  commands: number;
  roundTrips: number;
  /** Before the first role, once per host and run: connecting, the sudo check, gathering facts (one command). */
  setup: Cost;
  /** Each role this host ran, in order. */
  roles: RoleCost[];
}

export type RunEvent =
  | { type: 'run-start'; playbook: string; hosts: string[]; checkMode: boolean; diff: boolean; time: string }
  | { type: 'host-start'; host: string; target: string }
  | { type: 'host-unreachable'; host: string; message: string }
  /** The host answered but the run could not start on it (facts failed). */
  | { type: 'host-error'; host: string; message: string }
  | { type: 'role-start'; host: string; role: string }
  | {
      type: 'step';
      host: string;
      role: string;
      index: number;
      title: string;
      status: StepStatus;
      /** What changed (or would change in check mode), why it was skipped, or why it failed. */
      message?: string;
      diff?: string;
      ms: number;
    }
  | { type: 'handler'; host: string; role: string; name: string; status: 'changed' | 'skipped' | 'failed'; message?: string }
  | { type: 'log'; host: string; role?: string; message: string; level: 1 | 2 }
  | { type: 'role-end'; host: string; role: string; cost: RoleCost }
  /** What a role has to tell the user once the run is over (printed after the recap). */
  | { type: 'summary'; host: string; role: string; lines: string[] }
  | { type: 'host-end'; host: string; recap: HostRecap }
  | { type: 'run-end'; recap: HostRecap[]; exitCode: number; seconds: number };

export type Emit = (event: RunEvent) => void;
