import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOOLS } from '../tools/index.js';
import { replaceReference, schemaFile, toolReference } from '../src/tooling/reference.js';
import { PACKAGE_ROOT } from '../src/version.js';

// `npm run schemas`: rewrites schemas/<tool>.json and the README's tool reference from tools/.
const schemasDir = join(PACKAGE_ROOT, 'schemas');
mkdirSync(schemasDir, { recursive: true });
const expected = new Set(TOOLS.map((tool) => `${tool.name}.json`));
for (const stale of readdirSync(schemasDir).filter((file) => file.endsWith('.json') && !expected.has(file))) {
  rmSync(join(schemasDir, stale));
}
for (const tool of TOOLS) {
  writeFileSync(join(schemasDir, `${tool.name}.json`), schemaFile(tool));
}
const readmePath = join(PACKAGE_ROOT, 'README.md');
writeFileSync(readmePath, replaceReference(readFileSync(readmePath, 'utf8'), toolReference(TOOLS)));
process.stderr.write(`wrote ${TOOLS.length} schema file(s) and the README tool reference\n`);
