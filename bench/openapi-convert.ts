/**
 * How long a large OpenAPI source takes to load: `npx tsx bench/openapi-convert.ts`.
 * Generates a spec with 1,000 operations over 300 component schemas (objects referring to each other, enums,
 * arrays, date-times, oneOf unions, renamed properties), then times `convertOpenApi` alone and a whole gateway
 * start (`createGateway`: convert, stitch, plugins). The budget is 5 s for both.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { validateConfig } from '../src/config/load.js';
import { createGateway } from '../src/server/create-gateway.js';
import { convertOpenApi } from '../src/sources/openapi/index.js';

const SCHEMAS = 300;
const RESOURCES = 200;
const OPERATIONS_PER_RESOURCE = 5;
const RUNS = 5;
const BUDGET_MS = 5_000;

function schemaName(index: number): string {
  return `Model${index % SCHEMAS}`;
}

function ref(index: number): { $ref: string } {
  return { $ref: `#/components/schemas/${schemaName(index)}` };
}

function componentSchema(index: number): Record<string, unknown> {
  if (index % 25 === 24) return { oneOf: [ref(index + 1), ref(index + 2)], discriminator: { propertyName: 'kind' } };
  return {
    type: 'object',
    description: `Model number ${index}`,
    required: ['id', 'kind'],
    properties: {
      id: { type: 'string' },
      kind: { type: 'string' },
      'display-name': { type: 'string' },
      count: { type: 'integer' },
      price: { type: 'number' },
      active: { type: 'boolean', default: true },
      status: { type: 'string', enum: ['in-stock', 'out-of-stock', 'discontinued'] },
      createdAt: { type: 'string', format: 'date-time' },
      tags: { type: 'array', items: { type: 'string' } },
      parent: ref(index + 7),
      children: { type: 'array', items: ref(index + 13) },
    },
  };
}

function resourcePaths(index: number): Record<string, unknown> {
  const name = `resource${index}`;
  const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
  const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  return {
    [`/${name}`]: {
      get: {
        operationId: `list-${name}`,
        summary: `List ${name}`,
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', default: 20 } },
          { name: 'sort', in: 'query', style: 'form', explode: false, schema: { type: 'array', items: { type: 'string', enum: ['name-asc', 'name-desc'] } } },
          { name: 'X-Tenant', in: 'header', schema: { type: 'string' } },
        ],
        responses: { '200': { description: 'ok', ...json({ type: 'array', items: ref(index) }) } },
      },
      post: {
        operationId: `create-${name}`,
        requestBody: { required: true, ...json(ref(index)) },
        responses: { '201': { description: 'created', ...json(ref(index)) }, '400': { description: 'bad', ...json({ type: 'object', properties: { message: { type: 'string' } } }) } },
      },
    },
    [`/${name}/{id}`]: {
      get: { operationId: `get-${name}`, parameters: [idParameter], responses: { '200': { description: 'ok', ...json(ref(index)) }, '404': { description: 'none' } } },
      put: { operationId: `update-${name}`, parameters: [idParameter], requestBody: { required: true, ...json(ref(index + 1)) }, responses: { '200': { description: 'ok', ...json(ref(index + 1)) } } },
      delete: { operationId: `delete-${name}`, parameters: [idParameter], responses: { '204': { description: 'deleted' } } },
    },
  };
}

function generateSpec(): Record<string, unknown> {
  const paths = Object.assign({}, ...Array.from({ length: RESOURCES }, (_, index) => resourcePaths(index))) as Record<string, unknown>;
  const schemas = Object.fromEntries(Array.from({ length: SCHEMAS }, (_, index) => [schemaName(index), componentSchema(index)]));
  return { openapi: '3.0.3', info: { title: 'Generated', version: '1' }, paths, components: { schemas } };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'interchange-bench-'));
  try {
    const specFile = path.join(dir, 'large.json');
    await writeFile(specFile, JSON.stringify(generateSpec()));
    const convertTimes: number[] = [];
    const gatewayTimes: number[] = [];
    let summary = '';
    for (let run = 0; run < RUNS; run += 1) {
      let started = performance.now();
      const converted = await convertOpenApi({ name: 'large', specFile });
      convertTimes.push(performance.now() - started);
      summary = `${converted.operations.size} operations, ${(converted.typeDefs.match(/^(type|input|enum|union|scalar) /gm) ?? []).length} types, ${converted.notes.length} notes`;

      started = performance.now();
      const config = validateConfig({ sources: [{ name: 'large', kind: 'openapi', spec: 'large.json', endpoints: ['http://127.0.0.1:1'] }] }, path.join(dir, 'gateway.yaml'));
      const gateway = await createGateway(config);
      gatewayTimes.push(performance.now() - started);
      await gateway[Symbol.asyncDispose]();
    }
    const convertMs = median(convertTimes);
    const gatewayMs = median(gatewayTimes);
    const first = (times: readonly number[]) => (times[0] ?? Number.NaN).toFixed(0);
    process.stdout.write(
      [
        `spec: ${summary}`,
        `convertOpenApi: median ${convertMs.toFixed(0)} ms over ${RUNS} runs (first, cold: ${first(convertTimes)} ms)`,
        `createGateway (convert + stitch + plugins): median ${gatewayMs.toFixed(0)} ms (first: ${first(gatewayTimes)} ms)`,
        `budget ${BUDGET_MS} ms: ${Math.max(...convertTimes, ...gatewayTimes) < BUDGET_MS ? 'met' : 'MISSED'}`,
        '',
      ].join('\n'),
    );
    if (Math.max(...gatewayTimes) >= BUDGET_MS) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
