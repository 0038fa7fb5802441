import { minify } from 'terser'; import { gzipSync } from 'node:zlib'; import { readFileSync } from 'node:fs';
for (const f of process.argv.slice(2)) { const m = await minify(readFileSync(f,'utf8'), { ecma: 2021, module: true, format: { comments: false } }); console.log(gzipSync(m.code,{level:9}).length, m.code.length, f); }
