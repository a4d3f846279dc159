import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toolSchemas } from '../../src/tooling/json-schema.js';
import { README_END, README_START, schemaFile, toolReference } from '../../src/tooling/reference.js';
import { TOOLS } from '../../tools/index.js';
import { REPO_ROOT } from '../helpers/mcp.js';

describe('generated schemas and reference', () => {
  it('schemas/ holds exactly one up-to-date file per tool (run `npm run schemas` when this fails)', () => {
    const dir = join(REPO_ROOT, 'schemas');
    expect(readdirSync(dir).sort()).toEqual(TOOLS.map((t) => `${t.name}.json`).sort());
    for (const tool of TOOLS) {
      expect(readFileSync(join(dir, `${tool.name}.json`), 'utf8'), `schemas/${tool.name}.json is stale`).toBe(schemaFile(tool));
    }
  });

  it("the README's tool reference is up to date (run `npm run schemas` when this fails)", () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf(README_START), readme.indexOf(README_END) + README_END.length);
    expect(section).toBe(toolReference(TOOLS));
  });

  it('writes nullable fields as single-type anyOf branches, which every client dialect accepts', () => {
    for (const tool of TOOLS) {
      const json = JSON.stringify(toolSchemas(tool));
      expect(json).not.toMatch(/"type":\[/);
    }
  });

  it('gives every parameter a description', () => {
    for (const tool of TOOLS) {
      const properties = toolSchemas(tool).inputSchema.properties as Record<string, { description?: string }>;
      for (const [name, property] of Object.entries(properties)) expect(property.description, `${tool.name}.${name}`).toBeTruthy();
    }
  });
});
