/**
 * The README's fenced code blocks, and how each is tested. A block is run unless an HTML comment
 * right above its fence says otherwise:
 *
 *   <!-- readme-test: sketch -->                 not runnable on its own (a fragment, another
 *                                                 origin, a framework file): syntax-checked only
 *   <!-- readme-test: {"expect": "…", …} -->      runnable, with options (see `BlockOptions`)
 *
 * Blocks in languages that are not code (`sh`, `json`, `nginx`, …) are not run here; the nginx
 * block has a test of its own.
 */
import { readFileSync } from 'node:fs';

/**
 * @typedef {object} BlockOptions
 * @property {boolean} [sketch]   only syntax-checked
 * @property {string} [expect]    a page expression (awaited) that must become truthy
 * @property {string[]} [errors]  `error` codes the block is expected to show (default none)
 * @property {string} [then]      a page expression run after the block settled (e.g. a click)
 * @property {string[]} [get]     server blocks: paths that must answer 200
 */

/** @returns {{ line: number, lang: string, code: string, options: BlockOptions }[]} */
export function readmeBlocks(path = new URL('../../README.md', import.meta.url)) {
  const lines = readFileSync(path, 'utf8').split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w*)\s*$/.exec(lines[i]);
    if (!fence) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]);
    let options = {};
    let above = start - 1;
    if (above >= 0 && lines[above] === '') above--;
    const annotation = /^<!-- readme-test: (.*) -->$/.exec(lines[above] ?? '');
    if (annotation) {
      options = annotation[1] === 'sketch' ? { sketch: true } : JSON.parse(annotation[1]);
    }
    blocks.push({ line: start + 1, lang: fence[1], code: body.join('\n'), options });
  }
  return blocks;
}

/** What kind of test a block gets. */
export function blockKind({ lang, code, options }) {
  if (options.sketch) return 'sketch';
  if (lang === 'html') return 'page';
  if (lang === 'js' || lang === 'ts') {
    return /from 'realtime-elements\/server'|from 'node:/.test(code) ? 'node' : 'module';
  }
  return 'other';
}
