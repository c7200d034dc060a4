/** Asks a person at a terminal, with @inquirer/prompts: Enter takes the default shown. */
import { checkbox, confirm, input, password, select } from '@inquirer/prompts';
import { parseInteger, splitList, type ChoiceQuestion, type MultiChoiceQuestion, type Prompter, type Question } from './prompter.ts';

const check = <T>(q: Question<T>, value: T): true | string => q.validate?.(value) ?? true;

export class InquirerPrompter implements Prompter {
  readonly interactive = true;

  constructor(private readonly print: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {}

  text(q: Question<string>): Promise<string> {
    return input({ message: q.message, default: q.default || undefined, validate: (v) => check(q, v) }).then((v) => v.trim());
  }

  async integer(q: Question<number> & { min?: number; max?: number }): Promise<number> {
    const text = await input({
      message: q.message,
      default: String(q.default),
      validate: (v) => {
        const n = parseInteger(v, q.min, q.max);
        return typeof n === 'string' ? n : check(q, n);
      },
    });
    return parseInteger(text, q.min, q.max) as number;
  }

  async secret(q: Question<string>): Promise<string> {
    const v = await password({ message: `${q.message}${q.default ? ' (Enter keeps the current one)' : ' (Enter: none)'}`, mask: '*', validate: (s) => (s === '' ? true : check(q, s)) });
    return v === '' ? q.default : v;
  }

  async list(q: Question<string[]>): Promise<string[]> {
    const text = await input({ message: q.message, default: q.default.join(' ') || undefined, validate: (v) => check(q, splitList(v)) });
    return splitList(text);
  }

  confirm(q: Question<boolean>): Promise<boolean> {
    return confirm({ message: q.message, default: q.default });
  }

  select<T extends string>(q: ChoiceQuestion<T>): Promise<T> {
    return select<T>({
      message: q.message,
      default: q.default,
      choices: q.choices.map((c) => ({ value: c.value, name: c.name ?? c.value, ...(c.disabled ? { disabled: c.disabled } : {}) })),
    });
  }

  checkbox<T extends string>(q: MultiChoiceQuestion<T>): Promise<T[]> {
    return checkbox<T>({
      message: q.message,
      choices: q.choices.map((c) => ({ value: c.value, name: c.name ?? c.value, checked: q.default.includes(c.value), ...(c.disabled ? { disabled: c.disabled } : {}) })),
      validate: (chosen) => check(q, chosen.map((c) => c.value)),
    });
  }

  say(line: string): void {
    this.print(line);
  }
}
