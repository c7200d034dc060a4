import type { Role } from '../lib/api/role.ts';
import { base } from './base/index.ts';

/** Every role, in the order site.ts runs them. */
export const siteRoles: Role[] = [base];

export const allRoles: Role[] = siteRoles;
