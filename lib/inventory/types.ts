import type { VarValue } from '../api/role.ts';

export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

export type VarType = 'string' | 'number' | 'boolean' | 'list' | 'map';

export interface VarDef {
  type: VarType;
  description: string;
  /** Allowed values, for enums. */
  choices?: readonly string[];
  /** Roles that read it; empty for connection settings. */
  roles: string[];
}

/** Every key the inventory may set, with its type. */
export type VarSchema = Map<string, VarDef>;

export interface InventoryHost {
  name: string;
  /** Groups the host belongs to, "all" included, outermost first. */
  groups: string[];
  /** Merged vars (host over child group over parent group over all), before role defaults and .env interpolation. */
  vars: Record<string, VarValue>;
  /** Where each merged var was set, for error messages. */
  origins: Record<string, SourcePos>;
  pos: SourcePos;
}

export interface Inventory {
  file: string;
  hosts: Map<string, InventoryHost>;
  /** Group name → host names (transitively, through children). */
  groups: Map<string, Set<string>>;
}
