/** Answers the questions from an answers file: a missing answer takes the question's default; a bad one is an input error at its line. */
import { InputError } from '../errors.ts';
import type { Answers } from './answers.ts';
import { parseInteger, splitList, type ChoiceQuestion, type MultiChoiceQuestion, type Prompter, type Question } from './prompter.ts';

export class AnswersPrompter implements Prompter {
  readonly interactive = false;
  /** The ids asked so far, in order. */
  readonly asked: string[] = [];
  readonly lines: string[] = [];

  constructor(
    private readonly answers: Answers,
    private readonly print: (line: string) => void = () => {},
  ) {}

  private fail(id: string, message: string): never {
    throw new InputError(`${id}: ${message}`, this.answers.positions[id] ?? { file: this.answers.file }, `fix the answer "${id}" or remove it to take the default`);
  }

  private raw(id: string): unknown {
    this.asked.push(id);
    return this.answers.values[id];
  }

  private checked<T>(q: Question<T>, value: T): T {
    const ok = q.validate?.(value) ?? true;
    if (ok !== true) {
      if (!(q.id in this.answers.values)) throw new InputError(`${q.id}: the default does not fit: ${ok}`, { file: this.answers.file }, `add "${q.id}: <value>" to the answers file`);
      this.fail(q.id, ok);
    }
    return value;
  }

  async text(q: Question<string>): Promise<string> {
    const v = this.raw(q.id);
    if (v === undefined) return this.checked(q, q.default);
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') this.fail(q.id, 'must be a single value, not a list or mapping');
    return this.checked(q, String(v));
  }

  async secret(q: Question<string>): Promise<string> {
    return this.text(q);
  }

  async integer(q: Question<number> & { min?: number; max?: number }): Promise<number> {
    const v = this.raw(q.id);
    if (v === undefined) return this.checked(q, q.default);
    const n = parseInteger(String(v), q.min, q.max);
    if (typeof n === 'string') this.fail(q.id, n);
    return this.checked(q, n);
  }

  async list(q: Question<string[]>): Promise<string[]> {
    const v = this.raw(q.id);
    if (v === undefined) return this.checked(q, q.default);
    if (Array.isArray(v)) return this.checked(q, v.map(String));
    if (typeof v === 'string') return this.checked(q, splitList(v));
    return this.fail(q.id, 'must be a list, e.g. [a, b]');
  }

  async confirm(q: Question<boolean>): Promise<boolean> {
    const v = this.raw(q.id);
    if (v === undefined) return q.default;
    if (typeof v !== 'boolean') this.fail(q.id, 'must be true or false');
    return this.checked(q, v);
  }

  async select<T extends string>(q: ChoiceQuestion<T>): Promise<T> {
    const v = this.raw(q.id);
    if (v === undefined) return this.checked(q, q.default);
    const choice = q.choices.find((c) => c.value === String(v));
    if (!choice) this.fail(q.id, `"${String(v)}" is not one of: ${q.choices.map((c) => c.value).join(', ')}`);
    if (choice.disabled) this.fail(q.id, `"${choice.value}" cannot be chosen: ${choice.disabled}`);
    return this.checked(q, choice.value);
  }

  async checkbox<T extends string>(q: MultiChoiceQuestion<T>): Promise<T[]> {
    const v = this.raw(q.id);
    if (v === undefined) return this.checked(q, q.default);
    const items = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? splitList(v) : this.fail(q.id, 'must be a list, e.g. [a, b]');
    const out: T[] = [];
    for (const item of items) {
      const choice = q.choices.find((c) => c.value === item);
      if (!choice) this.fail(q.id, `"${item}" is not one of: ${q.choices.map((c) => c.value).join(', ') || '(no choice available)'}`);
      if (choice.disabled) this.fail(q.id, `"${item}" cannot be chosen: ${choice.disabled}`);
      if (!out.includes(choice.value)) out.push(choice.value);
    }
    return this.checked(q, out);
  }

  say(line: string): void {
    this.lines.push(line);
    this.print(line);
  }
}
