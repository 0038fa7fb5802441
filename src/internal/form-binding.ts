/**
 * Reads and writes the named form controls inside an element, as one JSON-friendly object:
 * text-like inputs, textareas and single selects → string; multiple selects and checkbox groups
 * → string[]; a lone checkbox → boolean; a radio group → the checked value or null.
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

const groupOf = (controls: FormControl[], control: FormControl) =>
  controls.filter((other) => other.name === control.name && other.type === control.type);

export function readForm(controls: FormControl[]): FormData {
  // Field names come from the page's markup or stored data: a null-prototype object, so a field
  // named `__proto__` or `constructor` is a field like any other.
  const data: FormData = Object.create(null) as FormData;
  for (const control of controls) {
    const { name } = control;
    if (control instanceof HTMLSelectElement && control.multiple) {
      data[name] = [...control.selectedOptions].map((option) => option.value);
    } else if (control instanceof HTMLInputElement && control.type === 'checkbox') {
      if (groupOf(controls, control).length > 1) {
        const checked = Object.hasOwn(data, name) ? (data[name] as string[]) : [];
        if (control.checked) checked.push(control.value);
        data[name] = checked;
      } else {
        data[name] = control.checked;
      }
    } else if (control instanceof HTMLInputElement && control.type === 'radio') {
      if (control.checked) data[name] = control.value;
      else if (!Object.hasOwn(data, name)) data[name] = null;
    } else {
      data[name] = control.value;
    }
  }
  return data;
}

/**
 * Sets controls from `data` (names absent from it are left alone) and fires `input` and `change`
 * on each control that changed, so framework bindings such as `v-model` follow. Returns whether
 * anything changed.
 */
export function writeForm(controls: FormControl[], data: unknown): boolean {
  if (!data || typeof data !== 'object') return false;
  const values = data as FormData;
  let changedAny = false;
  for (const control of controls) {
    if (!Object.hasOwn(values, control.name)) continue;
    const value = values[control.name];
    let changed = false;
    if (control instanceof HTMLSelectElement && control.multiple) {
      const wanted = new Set(Array.isArray(value) ? value.map(String) : []);
      for (const option of control.options) {
        if (option.selected !== wanted.has(option.value)) {
          option.selected = wanted.has(option.value);
          changed = true;
        }
      }
    } else if (
      control instanceof HTMLInputElement &&
      (control.type === 'checkbox' || control.type === 'radio')
    ) {
      const checked = Array.isArray(value)
        ? value.map(String).includes(control.value)
        : typeof value === 'boolean'
          ? value
          : value === control.value;
      changed = control.checked !== checked;
      control.checked = checked;
    } else {
      const text = value == null ? '' : String(value);
      changed = control.value !== text;
      if (changed) control.value = text;
    }
    if (changed) {
      changedAny = true;
      control.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
      control.dispatchEvent(new Event('change', { bubbles: true }));
    }
  }
  return changedAny;
}
