/**
 * Defines `tag` unless it is already taken. Loading the same module twice is a no-op; a
 * different class under the tag (two copies of the library on one page) only warns, because
 * throwing from a `-define` module would break the page that imported it.
 */
export function defineElement(
  tag: string,
  ctor: CustomElementConstructor,
  registry: CustomElementRegistry | undefined = globalThis.customElements,
): void {
  if (!registry) return;
  const existing = registry.get(tag);
  if (existing === ctor) return;
  if (existing) {
    console.warn(
      `realtime-elements: <${tag}> is already defined by another class (two copies of the library?); keeping the first.`,
    );
    return;
  }
  registry.define(tag, ctor);
}
