/**
 * `npm run docs`: everything derived from custom-elements.json (which the build writes from the
 * classes' JSDoc), committed so users and reviewers see it:
 *
 * - the README's attribute / property, method and event tables (between `api:<tag>` markers),
 *   and its Browser support table (scripts/browser-support.mjs);
 * - framework typings: frameworks/react.d.ts, preact.d.ts, solid.d.ts, vue.d.ts, svelte.d.ts;
 * - editor data: vscode.html-custom-data.json (VS Code) and web-types.json (JetBrains);
 * - src/react-components.ts: React 18 wrapper components (`@lit/react`).
 *
 * `npm run docs -- --check` (part of `npm test`) fails when a committed file disagrees with what
 * the manifest gives, so the docs cannot drift from the code.
 */
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { browserSupportTable } from './browser-support.mjs';

const check = process.argv.includes('--check');
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const manifest = JSON.parse(readFileSync('custom-elements.json', 'utf8'));

/** Every element: tag, class, attributes, properties, methods, events. */
const elements = manifest.modules
  .flatMap((module) => module.declarations ?? [])
  .filter((declaration) => declaration.customElement && declaration.tagName)
  .sort((a, b) => a.tagName.localeCompare(b.tagName))
  .map((declaration) => {
    const members = declaration.members ?? [];
    const isPublic = (member) =>
      (!member.privacy || member.privacy === 'public') && !member.static && member.name !== 'state';
    // Attributes of a field, and those documented only by `@attr` (read as the element opens).
    const attributes = (declaration.attributes ?? []).filter(
      (attribute) => attribute.fieldName || attribute.name !== 'state',
    );
    const attributeOf = new Map(attributes.map((attribute) => [attribute.fieldName, attribute]));
    const fields = members.filter(
      (member) => member.kind === 'field' && isPublic(member) && member.type,
    );
    return {
      tag: declaration.tagName,
      className: declaration.name,
      eventMap: declaration.name.replace(/Element$/, 'EventMap'),
      summary: declaration.summary ?? '',
      description: declaration.description ?? '',
      state: (declaration.attributes ?? []).find((attribute) => attribute.name === 'state'),
      attributes,
      /** Public fields with their attribute, if any; readonly ones included for the docs. */
      properties: fields.map((field) => ({ ...field, attribute: attributeOf.get(field.name) })),
      /** Attributes whose field is internal (e.g. `last-event-id` → startId). */
      attributeOnly: attributes.filter(
        (attribute) => !fields.some((field) => field.name === attribute.fieldName),
      ),
      methods: members.filter((member) => member.kind === 'method' && isPublic(member)),
      events: declaration.events ?? [],
    };
  });

// ---------------------------------------------------------------------------------------------
// README tables

const cell = (text = '') => String(text).replace(/\|/g, '\\|').replace(/\n+/g, ' ').trim();
const code = (text) => (text ? `\`${String(text).replace(/\|/g, '\\|')}\`` : '');
const defaultOf = (value) => (value === undefined || value === null ? '—' : code(value));

function apiTables(element) {
  const rows = [];
  for (const property of element.properties) {
    const attribute = property.attribute;
    rows.push([
      attribute ? code(attribute.name) : '—',
      code(property.name) + (property.readonly ? ' (read-only)' : ''),
      code(property.type?.text),
      defaultOf(property.default ?? attribute?.default),
      cell(attribute?.description || property.description),
    ]);
  }
  for (const attribute of element.attributeOnly) {
    rows.push([
      code(attribute.name),
      '—',
      code(attribute.type?.text),
      defaultOf(attribute.default),
      cell(attribute.description),
    ]);
  }
  if (element.state) {
    rows.push([
      code('state'),
      `${code('state')} (read-only)`,
      code('string'),
      code('closed'),
      cell(element.state.description),
    ]);
  }
  const signature = (method) =>
    (method.parameters ?? [])
      .filter((parameter) => !parameter.name.includes('.'))
      .map((parameter) =>
        parameter.default ? `${parameter.name} = ${parameter.default}` : parameter.name,
      )
      .join(', ');
  const methods = element.methods.map((method) => [
    code(`${method.name}(${signature(method)})`),
    cell(method.description),
  ]);
  methods.push([
    code(`${element.className}.define(tag = '${element.tag}', registry = customElements)`),
    'Registers the class under a tag (a second call with the same class is a no-op).',
  ]);
  const events = element.events.map((event) => [
    code(event.name),
    code(event.type?.text),
    cell(event.description),
  ]);
  const table = (head, body) =>
    [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`]
      .concat(body.map((row) => `| ${row.join(' | ')} |`))
      .join('\n');
  return [
    '### Attributes and properties',
    '',
    table(['attribute', 'property', 'type', 'default', 'meaning'], rows),
    '',
    '### Methods',
    '',
    table(['method', 'meaning'], methods),
    '',
    '### Events',
    '',
    table(['event', 'type', 'meaning'], events),
  ].join('\n');
}

function readmeWithTables(readme) {
  let out = readme;
  for (const element of elements) {
    const start = `<!-- api:${element.tag} (generated from custom-elements.json by npm run docs) -->`;
    const end = `<!-- /api:${element.tag} -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md lacks the markers for <${element.tag}>`);
    out = `${out.slice(0, from + start.length)}\n\n${apiTables(element)}\n\n${out.slice(to)}`;
  }
  const start =
    '<!-- browser-support (generated by npm run docs from scripts/browser-support.mjs) -->';
  const end = '<!-- /browser-support -->';
  const from = out.indexOf(start);
  const to = out.indexOf(end);
  if (from < 0 || to < from) throw new Error('README.md lacks the browser-support markers');
  return `${out.slice(0, from + start.length)}\n\n${browserSupportTable()}\n${out.slice(to)}`;
}

// ---------------------------------------------------------------------------------------------
// Framework typings

const header = (framework) =>
  `// ${framework} typings for realtime-elements' tags. Generated from custom-elements.json by\n` +
  `// \`npm run docs\`: do not edit.\n`;

const classImports = () =>
  `import type {\n${elements.map((e) => `  ${e.className},\n  ${e.eventMap},\n`).join('')}} from '../dist/index.js';\n`;

/** `name?: Element['name']` for each settable property, and attribute spellings that differ. */
function propertyProps(element, { kebabAttributes = true, reserved = [] } = {}) {
  const lines = [];
  for (const property of element.properties) {
    if (property.readonly || reserved.includes(property.name)) continue;
    lines.push(
      `${JSON.stringify(property.name)}?: ${element.className}[${JSON.stringify(property.name)}];`,
    );
  }
  if (kebabAttributes) {
    for (const attribute of element.attributes) {
      if (attribute.name === attribute.fieldName) continue;
      const type = attribute.type?.text ?? 'string';
      const value =
        type === 'boolean' ? 'boolean' : type.startsWith('number') ? 'number | string' : 'string';
      lines.push(`${JSON.stringify(attribute.name)}?: ${value};`);
    }
  }
  return lines;
}

function eventProps(element, name) {
  return element.events.map(
    (event) =>
      `${JSON.stringify(name(event.name))}?: (event: ${element.eventMap}[${JSON.stringify(event.name)}]) => void;`,
  );
}

const block = (lines, indent) => lines.map((line) => `${' '.repeat(indent)}${line}`).join('\n');

/** React, Preact and Vue keep `key` for themselves: <storage-sync> takes `storage-key` there. */
const frameworkKeys = ['key'];

function jsxTypings(framework, module, base) {
  const entries = elements
    .map((element) => {
      const props = [
        ...propertyProps(element, { reserved: frameworkKeys }),
        ...eventProps(element, (n) => `on${n}`),
      ];
      return `      ${JSON.stringify(element.tag)}: Omit<${base(element.className)}, ${keysOf(props)}> & {\n${block(props, 8)}\n      };`;
    })
    .join('\n');
  return `${header(framework)}${classImports()}${framework === 'React' ? "import type { DetailedHTMLProps, HTMLAttributes } from 'react';\n" : ''}${framework === 'Preact' ? "import type { JSX as PreactJSX } from 'preact';\n" : ''}
declare module '${module}' {
  namespace JSX {
    interface IntrinsicElements {
${entries}
    }
  }
}
`;
}

const keysOf = (props) => {
  const keys = props.map((line) => line.slice(0, line.indexOf('?:')));
  return keys.length ? keys.join(' | ') : 'never';
};

function solidTypings() {
  const entries = elements
    .map((element) => {
      const props = [
        ...propertyProps(element, { kebabAttributes: true }),
        ...element.properties
          .filter((property) => !property.readonly)
          .map(
            (property) =>
              `${JSON.stringify(`prop:${property.name}`)}?: ${element.className}[${JSON.stringify(property.name)}];`,
          ),
        ...eventProps(element, (n) => `on:${n}`),
      ];
      return `      ${JSON.stringify(element.tag)}: Omit<JSX.HTMLAttributes<${element.className}>, ${keysOf(props)}> & {\n${block(props, 8)}\n      };`;
    })
    .join('\n');
  return `${header('Solid')}${classImports()}
declare module 'solid-js' {
  namespace JSX {
    interface IntrinsicElements {
${entries}
    }
  }
}
`;
}

function vueTypings() {
  const capitalised = (name) => `on${name[0].toUpperCase()}${name.slice(1)}`;
  const entries = elements
    .map((element) => {
      const props = [
        ...propertyProps(element, { reserved: frameworkKeys }),
        ...eventProps(element, capitalised),
      ];
      return `    ${JSON.stringify(element.tag)}: DefineComponent<{\n${block(props, 6)}\n    }>;`;
    })
    .join('\n');
  return `${header('Vue')}${classImports()}import type { DefineComponent } from 'vue';

declare module 'vue' {
  interface GlobalComponents {
${entries}
  }
}
`;
}

function svelteTypings() {
  const entries = elements
    .map((element) => {
      const props = [...propertyProps(element), ...eventProps(element, (n) => `on${n}`)];
      return `    ${JSON.stringify(element.tag)}: Omit<HTMLAttributes<${element.className}>, ${keysOf(props)}> & {\n${block(props, 6)}\n    };`;
    })
    .join('\n');
  return `${header('Svelte')}${classImports()}import type { HTMLAttributes } from 'svelte/elements';

declare module 'svelte/elements' {
  interface SvelteHTMLElements {
${entries}
  }
}
`;
}

// ---------------------------------------------------------------------------------------------
// Editor data

const unionValues = (type) =>
  /^'[^']*'( \| '[^']*')*$/.test(type ?? '')
    ? type.split(' | ').map((value) => ({ name: value.slice(1, -1) }))
    : undefined;

const docsUrl = (tag) =>
  `${pkg.homepage ?? 'https://www.npmjs.com/package/realtime-elements'}#${tag}`;

function vscodeData() {
  return {
    version: 1.1,
    tags: elements.map((element) => ({
      name: element.tag,
      description: element.summary || element.description.split('\n')[0],
      attributes: element.attributes
        .concat(element.state ? [element.state] : [])
        .map((attribute) => ({
          name: attribute.name,
          description: attribute.description ?? '',
          ...(attribute.type?.text === 'boolean' ? { valueSet: 'v' } : {}),
          ...(unionValues(attribute.type?.text)
            ? { values: unionValues(attribute.type?.text) }
            : {}),
        })),
      references: [{ name: 'README', url: docsUrl(element.tag) }],
    })),
  };
}

function webTypes() {
  return {
    $schema: 'https://json.schemastore.org/web-types',
    name: pkg.name,
    version: pkg.version,
    'description-markup': 'markdown',
    contributions: {
      html: {
        elements: elements.map((element) => ({
          name: element.tag,
          description: element.summary || element.description.split('\n')[0],
          'doc-url': docsUrl(element.tag),
          attributes: element.attributes.map((attribute) => ({
            name: attribute.name,
            description: attribute.description ?? '',
            value: unionValues(attribute.type?.text)
              ? { type: 'enum', kind: 'plain' }
              : attribute.type?.text === 'boolean'
                ? { type: 'boolean', kind: 'no-value' }
                : { type: attribute.type?.text ?? 'string', kind: 'plain' },
            ...(unionValues(attribute.type?.text)
              ? { values: unionValues(attribute.type?.text) }
              : {}),
          })),
          js: {
            properties: element.properties.map((property) => ({
              name: property.name,
              description: property.description ?? '',
              type: property.type?.text,
            })),
            events: element.events.map((event) => ({
              name: event.name,
              description: event.description ?? '',
            })),
          },
        })),
      },
    },
  };
}

/** `statechange` → `onStateChange`: React's camel case for an element's event. */
const reactEventProp = (name) =>
  `on${name.replace(/^./, (c) => c.toUpperCase()).replace(/(change|refresh)$/, (w) => w[0].toUpperCase() + w.slice(1))}`;

/**
 * src/react-components.ts: wrapper components for React 18 and older (which set every prop as
 * an attribute and cannot listen to custom events), made by `@lit/react` from each element's
 * class: object properties are set as properties, `onMessage`-style props become listeners.
 */
function reactComponents() {
  const components = elements
    .map((element) => {
      const name = element.className.replace(/Element$/, '');
      const events = element.events
        .map(
          (event) =>
            `        ${reactEventProp(event.name)}: '${event.name}' as EventName<${element.eventMap}[${JSON.stringify(event.name)}]>,`,
        )
        .join('\n');
      const settable = element.properties
        .filter((property) => !property.readonly)
        .map((property) => `'${property.name}'`)
        .join(', ');
      return `    ${name}: wrap(react, {\n      tagName: '${element.tag}',\n      elementClass: ${element.className},\n      displayName: '${name}',\n      properties: [${settable}],\n      events: {\n${events}\n      },\n    }),`;
    })
    .join('\n');
  return `// Wrapper components of realtime-elements' tags for React 18 and older (\`@lit/react\`).
// Generated from custom-elements.json by \`npm run docs\`: do not edit.
import type { EventName } from '@lit/react';
import type * as ReactModule from 'react';
import './define.js';
import { wrap } from './internal/react-wrapper.js';
import { realtimeHook } from './internal/use-realtime.js';
import {
${elements.map((e) => `  ${e.className},\n  type ${e.eventMap},\n`).join('')}} from './index.js';

/**
 * The components, made with the page's own React (any version \`@lit/react\` supports: 16.8 to
 * 19): \`const { TabChannel, SseFeed, useRealtime } = createRealtimeComponents(React)\`, once, at module level.
 * Props that are element properties are set as properties (objects stay objects); event props
 * are camel case (\`onMessage\`, \`onStateChange\`, \`onValueChange\` …), listening from mount to
 * unmount; \`ref\` is the element.
 * Importing this module defines every tag (\`realtime-elements/define\`).
 */
export function createRealtimeComponents(react: typeof ReactModule) {
  return {
    /** \`useRealtime(ref)\` of \`realtime-elements/react\`, run by this React (18 or later). */
    useRealtime: realtimeHook(react),
${components}
  };
}
`;
}

// ---------------------------------------------------------------------------------------------

const outputs = {
  'README.md': readmeWithTables(readFileSync('README.md', 'utf8')),
  'frameworks/react.d.ts':
    jsxTypings('React', 'react', (name) => `DetailedHTMLProps<HTMLAttributes<${name}>, ${name}>`) +
    "\n// The entry point's own exports (useRealtime).\nexport * from '../dist/react.js';\n",
  'frameworks/preact.d.ts': jsxTypings(
    'Preact',
    'preact',
    (name) => `PreactJSX.HTMLAttributes<${name}>`,
  ),
  'frameworks/solid.d.ts': solidTypings(),
  'frameworks/vue.d.ts':
    vueTypings() +
    "\n// The entry point's own exports (useRealtime).\nexport * from '../dist/vue.js';\n",
  'frameworks/svelte.d.ts': svelteTypings(),
  'vscode.html-custom-data.json': JSON.stringify(vscodeData(), null, 2),
  'web-types.json': JSON.stringify(webTypes(), null, 2),
  'src/react-components.ts': reactComponents(),
};

mkdirSync('frameworks', { recursive: true });
const stale = [];
for (const [file, content] of Object.entries(outputs)) {
  const options = { ...(await resolveConfig(file)), filepath: file };
  const formatted = await format(content, options);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (current === formatted) continue;
  if (check) stale.push(file);
  else writeFileSync(file, formatted);
}
if (stale.length) {
  console.error(
    `Out of date with custom-elements.json: ${stale.join(', ')}.\nRun \`npm run build && npm run docs\` and commit the result.`,
  );
  process.exit(1);
}
console.log(check ? 'docs agree with custom-elements.json' : 'docs written');
