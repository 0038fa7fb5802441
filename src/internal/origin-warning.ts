/**
 * `<popup-bridge>`'s warning about a `target-origin` that lets other sites in (`*`, `null`).
 * Loaded only by a page that sets one: the text is the page author's, not every visitor's, cost.
 */
export function warnOrigin(tag: string, any: boolean): void {
  console.warn(
    any
      ? `<${tag} target-origin="*">: any site can read and send these messages.`
      : `<${tag} target-origin="null">: posts go to "*"; a frame that navigates away may read them.`,
  );
}
