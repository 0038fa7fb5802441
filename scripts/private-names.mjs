/**
 * Property mangling for the CDN files: the names of members that TypeScript declares `private`
 * (read from tsc's .d.ts output) and that the browser code only ever reads as `this.<name>`
 * become short names. A private name is never part of the API, of a wire format or of Lit's
 * property handling; the filters below drop any name that also appears as a public or protected
 * member, a string, an object key, a property of another object, or a property Lit reads. One
 * fixed mapping (terser's `nameCache`) serves every chunk, so chunks agree on each name.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const walk = (dir) =>
  readdirSync(dir).flatMap((file) => {
    const path = join(dir, file);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
const browser = (file) => !/[\\/](server|worker)[\\/]/.test(file);

export function privateNames() {
  const declared = new Set();
  const exposed = new Set();
  for (const file of walk('dist').filter((f) => f.endsWith('.d.ts') && browser(f))) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const own = /^\s+private (?:static )?(?:readonly )?([A-Za-z_$][\w$]*)/.exec(line);
      if (own) declared.add(own[1]);
      else {
        const member =
          /^\s+(?:(?:protected|public|static|readonly|abstract|get|set|declare)\s+)*([A-Za-z_$][\w$]*)\??[(:<;]/.exec(
            line,
          );
        if (member) exposed.add(member[1]);
      }
    }
  }
  const source = walk('src')
    .filter((f) => f.endsWith('.ts') && browser(f))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const lit = ['reactive-element.js', 'css-tag.js']
    .map((f) => readFileSync(`node_modules/@lit/reactive-element/${f}`, 'utf8'))
    .join('\n');
  const names = [...declared].filter((name) => {
    const n = name.replace(/\$/g, '\\$');
    if (exposed.has(name) || name in Object.prototype || name in HTMLElementLike) return false;
    if (new RegExp(`['"\`]${n}['"\`]`).test(source)) return false;
    if (new RegExp(`[{,]\\s*${n}\\s*[,}:]`).test(source)) return false;
    if (new RegExp(`\\.${n}\\b`).test(lit)) return false;
    // Every read is `this.<name>` (not `this.hub!.<name>`, `peer.<name>` …), and no module
    // exports the name (a namespace object's property).
    const reads = source.match(new RegExp(`\\.${n}\\b`, 'g'))?.length ?? 0;
    const own = source.match(new RegExp(`\\bthis\\??\\.${n}\\b`, 'g'))?.length ?? 0;
    if (reads !== own) return false;
    return !new RegExp(`export\\s+(?:async\\s+)?(?:function\\*?|const|let|class)\\s+${n}\\b`).test(
      source,
    );
  });
  // The most used names get the shortest: `$` and one character for the first 64, then two.
  const uses = (name) =>
    source.match(new RegExp(`\\.${name.replace(/\$/g, '\\$')}\\b`, 'g'))?.length ?? 0;
  names.sort((a, b) => uses(b) - uses(a) || (a < b ? -1 : 1));
  const props = Object.fromEntries(names.map((name, i) => [`$${name}`, `$${short(i)}`]));
  return {
    regex: new RegExp(`^(?:${names.map((n) => n.replace(/\$/g, '\\$')).join('|')})$`),
    nameCache: { props: { props } },
  };
}

const alphabet = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$';
/** 0 → `0`, 63 → `$`, 64 → `00` …: the characters after the `$` of a short name. */
function short(i) {
  let name = '';
  do {
    name = alphabet[i % 64] + name;
    i = Math.floor(i / 64) - 1;
  } while (i >= 0);
  return name;
}

/** Names every element inherits from the DOM: never mangled, whatever the source says. */
const HTMLElementLike = Object.fromEntries(
  ['attributes', 'children', 'dataset', 'hidden', 'id', 'style', 'title', 'on'].map((k) => [k, 1]),
);
