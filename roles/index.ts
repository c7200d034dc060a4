import type { Role } from '../lib/api/role.ts';
import { base } from './base/index.ts';
import { hardening } from './hardening/index.ts';

/** Every role, in the order site.ts runs them. */
export const siteRoles: Role[] = [base, hardening];

export const allRoles: Role[] = siteRoles;
