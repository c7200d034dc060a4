import type { Step } from '../../lib/api/step.ts';

/**
 * Things a role must tell the user that are neither changes nor failures ("the iGPU is not attached yet: …"). Steps add
 * them from their checks; the role's last step shows them on its line (skipped, with the notes as the reason), so they
 * are seen without -v and a run that only has notes still reports 0 changed.
 */
export class Notes {
  private readonly items = new Set<string>();
  add(note: string): void {
    this.items.add(note);
  }
  get list(): string[] {
    return [...this.items];
  }
}

export function notesStep(notes: Notes, tags: string[]): Step {
  return {
    title: 'Notes',
    tags,
    when: () => (notes.list.length === 0 ? true : `NOTE: ${notes.list.join(' | ')}`),
    check: () => null,
    apply: async () => undefined,
  };
}
