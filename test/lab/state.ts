/** What the lab started (pids, modes), kept across CLI runs; and a lock so two lab commands do not overlap. */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { HostKind, LabConfig } from './config.ts';
import { LabError } from './exec.ts';
import type { RootMode } from './host-root.ts';
import { alive } from './processes.ts';

export interface HostState {
  /** Missing in states written before VMs: those were containers. */
  kind?: HostKind;
  release: string;
  address: string;
  /** systemd-nspawn's or QEMU's pid. */
  pid: number;
  /** Containers only. */
  rootMode?: RootMode;
  startedAt: string;
}

export interface LabState {
  hosts: Record<string, HostState>;
  aptProxy?: { pid: number; bind: string[]; startedAt: string };
}

const stateFile = (cfg: LabConfig): string => join(cfg.stateDir, 'state.json');

export function readState(cfg: LabConfig): LabState {
  try {
    const s = JSON.parse(readFileSync(stateFile(cfg), 'utf8')) as Partial<LabState>;
    return { hosts: s.hosts ?? {}, aptProxy: s.aptProxy };
  } catch {
    return { hosts: {} };
  }
}

export function writeState(cfg: LabConfig, state: LabState): void {
  mkdirSync(cfg.stateDir, { recursive: true });
  const file = stateFile(cfg);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function clearState(cfg: LabConfig): void {
  rmSync(stateFile(cfg), { force: true });
}

/** Takes the lab lock (a file holding our pid); a lock whose process is gone is taken over. Returns the release. */
export function lockLab(cfg: LabConfig): () => void {
  mkdirSync(cfg.stateDir, { recursive: true });
  const file = join(cfg.stateDir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder = NaN;
      try {
        holder = Number(readFileSync(file, 'utf8').trim());
      } catch {
        /* removed meanwhile */
      }
      if (holder === process.pid) throw new LabError('lab lock already held by this process (nested lab call)');
      if (Number.isInteger(holder) && alive(holder)) throw new LabError(`another lab command is running (pid ${holder}); wait for it, or remove ${file} if that pid is not a lab command`);
      rmSync(file, { force: true });
    }
  }
  throw new LabError(`cannot take the lab lock ${file}`);
}
