import type { GraphqlBody } from './demo-gateway.js';

/** One response of a load run, in the order responses arrived. */
export interface LoadResult {
  readonly index: number;
  readonly status: number;
  readonly body: GraphqlBody;
}

/** POSTs a GraphQL query to `url`. */
export async function postQuery(url: string, query: string, headers: Record<string, string> = {}): Promise<{ status: number; body: GraphqlBody }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  return { status: response.status, body: (await response.json()) as GraphqlBody };
}

/**
 * Steady concurrent load, bounded in count: `workers` loops send `requests` queries in all (`query(i)` is the
 * i-th), each loop its next query as soon as the previous one answered. Resolves with every response in arrival
 * order.
 */
export async function runLoad(options: { url: string; requests: number; workers: number; query: (index: number) => string; headers?: Record<string, string> }): Promise<LoadResult[]> {
  const results: LoadResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < options.requests) {
      const index = next++;
      const { status, body } = await postQuery(options.url, options.query(index), options.headers);
      results.push({ index, status, body });
    }
  };
  await Promise.all(Array.from({ length: options.workers }, worker));
  return results;
}

/** Responses that are not a clean answer: a non-200 status or any error. */
export function failed(results: readonly LoadResult[]): LoadResult[] {
  return results.filter((r) => r.status !== 200 || (r.body.errors?.length ?? 0) > 0);
}

/** The error codes in the responses, counted. */
export function errorCodes(results: readonly LoadResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) for (const e of r.body.errors ?? []) out[String(e.extensions?.['code'])] = (out[String(e.extensions?.['code'])] ?? 0) + 1;
  return out;
}

/** Calls a demo backend (in another process) has answered so far, from its `GET /__stats`. */
export async function backendCalls(url: string): Promise<number> {
  const response = await fetch(`${url}/__stats`);
  return ((await response.json()) as { calls: number }).calls;
}
