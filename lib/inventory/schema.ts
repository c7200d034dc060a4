import type { Role, VarValue } from '../api/role.ts';
import { CONNECTION_VARS } from './connection-vars.ts';
import type { VarSchema, VarType } from './types.ts';

export function typeOfValue(value: VarValue): VarType {
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'map';
  return typeof value as 'string' | 'number' | 'boolean';
}

/** Every key an inventory may set: the connection settings and every role's variables, typed by their defaults. */
export function buildSchema(roles: Role[]): VarSchema {
  const schema: VarSchema = new Map();
  for (const [key, def] of Object.entries(CONNECTION_VARS)) schema.set(key, { ...def, roles: [] });
  for (const role of roles) {
    for (const [key, value] of Object.entries(role.defaults)) {
      const type = typeOfValue(value);
      const existing = schema.get(key);
      if (existing) {
        if (existing.type !== type) throw new Error(`role ${role.name}: variable ${key} is a ${type}, but another role declares it a ${existing.type}`);
        existing.roles.push(role.name);
      } else {
        schema.set(key, { type, description: role.docs[key]?.description ?? '', roles: [role.name] });
      }
    }
  }
  return schema;
}
