import { readFileSync } from 'node:fs';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { DEMO_CONFIG } from '../../src/cli/demo.js';

export const ADMIN_TOKEN = 'live-operation-admin-token';

/**
 * The demo config as YAML with absolute spec paths (so it can live in a temp dir), the admin token set, and
 * `edit` applied to the parsed document.
 */
export function demoConfigYaml(edit: (raw: Record<string, unknown>) => void = () => {}): string {
  const raw = parseYaml(readFileSync(DEMO_CONFIG, 'utf8')) as Record<string, unknown>;
  for (const source of raw['sources'] as Record<string, unknown>[]) {
    for (const key of ['spec', 'proto', 'schema']) if (typeof source[key] === 'string') source[key] = new URL(source[key] as string, `file://${DEMO_CONFIG}`).pathname;
  }
  raw['links'] = new URL(raw['links'] as string, `file://${DEMO_CONFIG}`).pathname;
  raw['admin'] = { token: ADMIN_TOKEN };
  edit(raw);
  return toYaml(raw);
}

/** The demo's links file, to send changed versions of it through the admin API. */
export function demoLinks(): string {
  return readFileSync(new URL('../../schemas/links.graphql', import.meta.url), 'utf8');
}

export interface AdminAnswer {
  status: number;
  body: Record<string, unknown> & { problems?: { file: string; at: string; message: string }[]; breaking?: { message: string; path?: string }[] };
}

/** Calls the admin API of the gateway at `origin` with the token. A string body goes as SDL text, anything else as JSON. */
export async function admin(origin: string, method: string, path: string, body?: unknown): Promise<AdminAnswer> {
  const response = await fetch(`${origin}/admin/api/${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': typeof body === 'string' ? 'application/graphql' : 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { text };
  }
  return { status: response.status, body: parsed as AdminAnswer['body'] };
}

/** Polls `check` every 25 ms until it returns true, at most `attempts` times; fails naming `what` otherwise. */
export async function eventually(what: string, check: () => Promise<boolean> | boolean, attempts = 400): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return i;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${what} did not happen within ${attempts} polls`);
}
