/**
 * The questions of a wizard, asked the same way whoever answers: a person at a terminal (InquirerPrompter) or an
 * answers file (AnswersPrompter). A question has an id (the answers file's key), a default and an optional validate,
 * so every question can be answered by pressing Enter or by leaving its key out of the file.
 */

export interface Choice<T extends string = string> {
  value: T;
  /** What the person sees; defaults to the value. */
  name?: string;
  /** Shown but not selectable, with the reason. */
  disabled?: string;
}

export interface Question<T> {
  /** The answers file's key for this question. */
  id: string;
  message: string;
  default: T;
  /** true when the value is acceptable, otherwise what is wrong with it. */
  validate?: (value: T) => true | string;
}

export interface ChoiceQuestion<T extends string> extends Question<T> {
  choices: Choice<T>[];
}

export interface MultiChoiceQuestion<T extends string> extends Question<T[]> {
  choices: Choice<T>[];
}

export interface Prompter {
  /** True when a person answers (prompts can offer to run commands, retry, etc.). */
  readonly interactive: boolean;
  text(q: Question<string>): Promise<string>;
  /** Whole numbers. */
  integer(q: Question<number> & { min?: number; max?: number }): Promise<number>;
  /** Masked input; the value is a secret (the caller registers it for redaction). */
  secret(q: Question<string>): Promise<string>;
  /** A list of words (typed separated by spaces or commas; a YAML list in an answers file). */
  list(q: Question<string[]>): Promise<string[]>;
  confirm(q: Question<boolean>): Promise<boolean>;
  select<T extends string>(q: ChoiceQuestion<T>): Promise<T>;
  checkbox<T extends string>(q: MultiChoiceQuestion<T>): Promise<T[]>;
  /** A line of information for the person (printed; collected in answers mode). */
  say(line: string): void;
}

/** Parses a whole number in [min, max], or says why not. */
export function parseInteger(text: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number | string {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return `"${text}" is not a whole number`;
  const n = Number(t);
  if (n < min || n > max) return `${n} is not between ${min} and ${max}`;
  return n;
}

/** A comma- or space-separated list typed at a prompt. */
export function splitList(text: string): string[] {
  return text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
}
