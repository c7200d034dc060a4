/** Bad input from the user (inventory, .env, flags): exit 1, nothing has run. */
export class InputError extends Error {
  override name = 'InputError';
  constructor(
    message: string,
    readonly where?: { file: string; line?: number; column?: number },
    readonly fix?: string,
  ) {
    super(message);
  }

  /** "inventory/hosts.yml:12:5: unknown key 'adress' in host pve. Fix: did you mean 'address'?" */
  format(): string {
    const loc = this.where
      ? `${this.where.file}${this.where.line ? `:${this.where.line}` : ''}${this.where.column ? `:${this.where.column}` : ''}: `
      : '';
    return `${loc}${this.message}${this.fix ? `\n  fix: ${this.fix}` : ''}`;
  }
}

export const EXIT = { ok: 0, badInput: 1, failed: 2, unreachable: 4 } as const;
