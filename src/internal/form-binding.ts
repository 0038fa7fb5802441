/**
 * Reads and writes the named form controls inside an element, as one JSON-friendly object:
 * text-like inputs, textareas and single selects → string; multiple selects and checkbox groups
 * → string[]; a lone checkbox → boolean; a radio group → the checked value or null.
 */
import { syncedControls, type FormControl, type FormData } from './form-controls.js';

export { isSynced, syncedControls, type FormControl, type FormData } from './form-controls.js';

const groupOf = (controls: FormControl[], control: FormControl) =>
  controls.filter((other) => other.name === control.name && other.type === control.type);

/**
 * Control names are data (`constructor`, `__proto__`, `toString` are fine field names): they are
 * collected in a `Map` and become own properties, never looked up on or written through a
 * prototype.
 */
export function readForm(controls: FormControl[]): FormData {
  const data = new Map<string, FormData[string]>();
  for (const control of controls) {
    const { name } = control;
    if (control instanceof HTMLSelectElement && control.multiple) {
      data.set(
        name,
        [...control.selectedOptions].map((option) => option.value),
      );
    } else if (control instanceof HTMLInputElement && control.type === 'checkbox') {
      if (groupOf(controls, control).length > 1) {
        const checked = (data.get(name) as string[] | undefined) ?? [];
        if (control.checked) checked.push(control.value);
        data.set(name, checked);
      } else {
        data.set(name, control.checked);
      }
    } else if (control instanceof HTMLInputElement && control.type === 'radio') {
      if (control.checked) data.set(name, control.value);
      else if (!data.has(name)) data.set(name, null);
    } else {
      data.set(name, control.value);
    }
  }
  return Object.fromEntries(data);
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
    if (!Object.prototype.hasOwnProperty.call(values, control.name)) continue;
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
      announce(control);
    }
  }
  return changedAny;
}

/**
 * Puts controls back to their defaults from the markup (`value`, `checked`, `selected`
 * attributes), as `form.reset()` would but only for these controls, and fires `input` and
 * `change` on each that changed. Returns whether anything changed.
 */
export function resetForm(controls: FormControl[]): boolean {
  let changedAny = false;
  for (const control of controls) {
    let changed = false;
    if (control instanceof HTMLSelectElement) {
      const before = [...control.options].map((option) => option.selected).join();
      for (const option of control.options) option.selected = option.defaultSelected;
      // A single select with no default shows its first option, as after a reset.
      if (!control.multiple && ![...control.options].some((o) => o.defaultSelected)) {
        control.selectedIndex = control.options.length ? 0 : -1;
      }
      changed = before !== [...control.options].map((option) => option.selected).join();
    } else if (
      control instanceof HTMLInputElement &&
      (control.type === 'checkbox' || control.type === 'radio')
    ) {
      changed = control.checked !== control.defaultChecked;
      control.checked = control.defaultChecked;
    } else {
      changed = control.value !== control.defaultValue;
      if (changed) control.value = control.defaultValue;
    }
    if (changed) {
      changedAny = true;
      announce(control);
    }
  }
  return changedAny;
}

/** Tells framework bindings such as `v-model` that a control changed from outside. */
function announce(control: FormControl): void {
  control.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
  control.dispatchEvent(new Event('change', { bubbles: true }));
}

/** What the form code needs of `<storage-sync>`. */
export interface FormHost extends Element {
  /** The storage area while open (`null`: memory only), `undefined` while closed. */
  readonly area?: Storage | null;
  current: unknown;
  hasCurrent: boolean;
  /** Set while this code writes controls: their events are not the user's edits. */
  restoring: boolean;
  /** The controls shown the value since the element opened. */
  readonly knownControls: WeakSet<FormControl>;
  fallback(): unknown;
  enc(value: unknown): string;
  commit(raw: string | null): void;
  removeValue(): void;
  fail(code: string, message: string): void;
}

/**
 * The page edited a control (`input`, `change`): the form's values, merged into the current
 * object, are stored. A form reset discards the draft: the key is removed here and in every
 * other tab.
 */
export function formEvent(host: FormHost, event: Event): void {
  if (host.area === undefined) return;
  const controls = syncedControls(host);
  if (event.type === 'reset') {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    // The reset itself runs after this event is dispatched, unless a later listener cancels it.
    setTimeout(() => {
      if (event.defaultPrevented || host.area === undefined) return;
      if (syncedControls(host).some((control) => control.form === form)) host.removeValue();
    });
    return;
  }
  if (!controls.includes(event.target as FormControl)) return;
  const data = {
    ...(host.hasCurrent && typeof host.current === 'object' ? host.current : {}),
    ...readForm(controls),
  };
  let raw: string;
  try {
    raw = host.enc(data); // a `serializer` of the page's may throw
  } catch (error) {
    return host.fail('serialize-failed', String(error));
  }
  host.current = data;
  host.hasCurrent = true;
  host.commit(raw);
}

/**
 * Shows `host`'s value in its controls: `all`, the `new` ones only (not shown since it opened),
 * or `reset` (the markup's defaults, then the default value).
 */
export function show(host: FormHost, how: 'all' | 'new' | 'reset'): void {
  if (host.area === undefined) return;
  let controls = syncedControls(host);
  if (how === 'new') controls = controls.filter((control) => !host.knownControls.has(control));
  if (how !== 'reset') for (const control of controls) host.knownControls.add(control);
  host.restoring = true;
  try {
    if (how === 'reset') {
      resetForm(controls);
      writeForm(controls, host.fallback());
    } else if (host.hasCurrent) writeForm(controls, host.current);
  } finally {
    host.restoring = false;
  }
}
