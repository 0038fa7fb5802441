/** The subclasses made to define a class under a second tag. */
const aliases = new WeakSet<CustomElementConstructor>();

/**
 * Defines `tag` unless it is already taken. Loading the same module twice is a no-op; a
 * different class under the tag (two copies of the library on one page) only warns, because
 * throwing from a `-define` module would break the page that imported it. A class already
 * registered under another tag (`TabChannelElement.define('my-channel')` after the default
 * define) is registered through an empty subclass: the platform allows one tag per constructor
 * (HTML § 4.13.4, `define()` step "constructor is already in the registry").
 */
export function defineElement(
  tag: string,
  ctor: CustomElementConstructor,
  registry: CustomElementRegistry | undefined = globalThis.customElements,
): void {
  if (!registry) return;
  const existing = registry.get(tag);
  if (
    existing === ctor ||
    (existing && aliases.has(existing) && Object.getPrototypeOf(existing) === ctor)
  ) {
    return;
  }
  if (existing) {
    console.warn(
      `realtime-elements: <${tag}> is already defined by another class (a second copy?): kept.`,
    );
    return;
  }
  try {
    registry.define(tag, ctor);
  } catch (error) {
    if ((error as DOMException)?.name !== 'NotSupportedError') throw error;
    const alias = class extends (ctor as typeof HTMLElement) {};
    aliases.add(alias);
    registry.define(tag, alias);
  }
}
