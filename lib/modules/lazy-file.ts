import type { Step } from '../api/step.ts';
import { containsSecret, registerSecret } from '../redact.ts';
import { fileChange, sha256Hex, writeFileAtomic } from './file.ts';
import { fileStateProbe, normalizeMode, parseFileState, type Ownership } from './file-state.ts';
import { stepMeta, type StepOptions } from './step-options.ts';

export interface LazyFileOptions extends Ownership, StepOptions {
  path: string;
  /**
   * The content, computed when the step runs rather than when the steps are built: from something an earlier step of
   * the same run makes (e.g. a file on the controller). Undefined while that does not exist yet.
   */
  content: () => string | Buffer | undefined | Promise<string | Buffer | undefined>;
  /** What the content is made from, for --check while it does not exist yet: "the certificate issued above". */
  madeFrom: string;
  /**
   * Hide the content from diffs and the probe, register it (and each of its lines) with the redactor, mode 0600 unless
   * a stricter one is set; implied when the content holds a .env value.
   */
  secret?: boolean;
}

const DEFAULT_NEW_FILE_MODE = '0644';
/** Lines at least this long of a secret file are redacted on their own too: one line of a PEM key must not leak either. */
const SECRET_LINE_MIN = 16;

/** Like `file`, for content known only when the step runs; --check says what it will be made from when it is not made yet. */
export function lazyFile(opts: LazyFileOptions): Step {
  if (opts.secret && opts.mode !== undefined && Number.parseInt(normalizeMode(opts.mode), 8) & 0o037) {
    throw new Error(`${opts.path} holds a secret but its mode ${normalizeMode(opts.mode)} lets others read it (or its group write it): use 0600 or 0640`);
  }
  let latest: { content: Buffer; want: Ownership } | undefined;
  return {
    ...stepMeta(opts, `file ${opts.path}`),
    probe: fileStateProbe(opts.path, !opts.secret),
    async check(ctx, probe) {
      const made = await opts.content();
      if (made === undefined) {
        if (ctx.checkMode) return { summary: `write ${opts.path} from ${opts.madeFrom} (made by an earlier step of this run)` };
        throw new Error(`cannot write ${opts.path}: ${opts.madeFrom} does not exist`);
      }
      const content = typeof made === 'string' ? Buffer.from(made) : made;
      const text = content.toString('utf8');
      const secret = opts.secret || containsSecret(text);
      if (opts.secret) {
        registerSecret(text);
        for (const line of text.split('\n')) if (line.trim().length >= SECRET_LINE_MIN) registerSecret(line.trim());
      }
      const want: Ownership = { owner: opts.owner, group: opts.group, mode: opts.mode ?? (secret ? '0600' : undefined) };
      latest = { content, want };
      return fileChange(opts.path, parseFileState(probe?.stdout ?? ''), content, sha256Hex(content), want, secret);
    },
    async apply(ctx) {
      if (!latest) throw new Error(`${opts.path}: apply before check`);
      await writeFileAtomic(ctx.conn, opts.path, latest.content, { ...latest.want, mode: latest.want.mode ?? DEFAULT_NEW_FILE_MODE });
    },
  };
}
