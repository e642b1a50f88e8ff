import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { convertOpenApi, type OpenApiOperation } from '../../src/sources/openapi/index.js';
import type { ConvertedSource, TransportCall } from '../../src/sources/types.js';
import { startHttpBackend } from './flaky-source.js';

/** A real node:http backend on a free port and the OpenAPI source converted from its spec. */
export interface OpenApiFixture {
  /** Base URL of the backend, with `basePath` when one was given. */
  readonly endpoint: string;
  readonly source: ConvertedSource<OpenApiOperation>;
  /** The converted operation at `Query.field` / `Mutation.field`; throws when there is none. */
  operation(key: string): OpenApiOperation;
  close(): Promise<void>;
}

export async function startOpenApiFixture(options: {
  name: string;
  specFile: string;
  handle: (request: IncomingMessage, response: ServerResponse) => unknown;
  basePath?: string;
}): Promise<OpenApiFixture> {
  const backend = await startHttpBackend((request, response) => void options.handle(request, response));
  const source = await convertOpenApi({ name: options.name, specFile: options.specFile });
  return {
    endpoint: `${backend.url}${options.basePath ?? ''}`,
    source,
    operation(key) {
      const found = source.operations.get(key);
      if (!found) throw new Error(`no operation ${key}`);
      return found;
    },
    close: backend.close,
  };
}

/** Transport call options for a test: a 5 s deadline and no forwarded headers unless given. */
export function callOptions(overrides: Partial<TransportCall> = {}): TransportCall {
  return { signal: AbortSignal.timeout(5_000), headers: {}, ...overrides };
}

/** The rejection of a call that must fail. */
export async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('the call should have failed'),
    (error: unknown) => error,
  );
}

/** A loopback port nothing listens on any more: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
