/**
 * Which controls inside an element are synced: the part of form binding every `<storage-sync>`
 * needs at once (is this a form?); reading and writing them (`form-binding.ts`) loads lazily.
 */
export type FormControl = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
export type FormData = Record<string, string | string[] | boolean | null>;

const neverSynced = new Set(['password', 'file', 'hidden', 'submit', 'button', 'reset', 'image']);

/** Secrets and opted-out fields are never read from or written to storage. */
export function isSynced(control: FormControl): boolean {
  if (!control.name || neverSynced.has(control.type)) return false;
  if (control.closest('[data-no-sync]')) return false;
  const autocomplete =
    control.getAttribute('autocomplete') ?? control.form?.getAttribute('autocomplete');
  return autocomplete?.trim().toLowerCase() !== 'off';
}

export function syncedControls(root: Element): FormControl[] {
  return [
    ...root.querySelectorAll<FormControl>('input[name], select[name], textarea[name]'),
  ].filter(isSynced);
}
