import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { Kind, parse, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { ConfigInvalidError, createGatewayError } from '../errors.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hashOf = (extensions: Record<string, unknown> | undefined) => {
  const hash = (extensions?.['persistedQuery'] as { sha256Hash?: unknown } | undefined)?.sha256Hash;
  return typeof hash === 'string' ? hash : undefined;
};

/** Reads a trusted-documents file: `{ "<sha256 hex of the document>": "<document>" }`; every hash is checked. */
export function readTrustedDocuments(file: string): ReadonlyMap<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigInvalidError(`Trusted documents ${file} cannot be read`, [{ file, at: '', message: error instanceof Error ? error.message : String(error) }]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigInvalidError(`Trusted documents ${file} are invalid`, [{ file, at: '', message: 'must be a JSON object of "<sha256 hex>": "<document>"' }]);
  }
  const problems = Object.entries(parsed).flatMap(([hash, document]) =>
    typeof document !== 'string' ? [{ file, at: hash, message: 'must be a document string' }] : sha256(document) !== hash ? [{ file, at: hash, message: 'is not the SHA-256 of its document' }] : [],
  );
  if (problems.length > 0) throw new ConfigInvalidError(`Trusted documents ${file} are invalid`, problems);
  return new Map(Object.entries(parsed as Record<string, string>));
}

/** The names of the operations in trusted documents, in file order (the operator chose them: metric labels). */
export function operationNamesOf(documents: ReadonlyMap<string, string>): string[] {
  const names: string[] = [];
  for (const text of documents.values()) {
    let document: DocumentNode;
    try {
      document = parse(text, { noLocation: true });
    } catch {
      continue; // validated when it is used, like any document
    }
    for (const definition of document.definitions) if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) names.push(definition.name.value);
  }
  return names;
}

/**
 * Trusted documents (yoga's persisted-operations plugin): only the documents of the list run, sent by hash as
 * `extensions.persistedQuery.sha256Hash`; a document sent as text, or an unknown hash, is refused with
 * BAD_REQUEST and `extensions.reason`.
 */
export function useTrustedDocuments(documents: ReadonlyMap<string, string>): Plugin {
  const refusal = (status: number, reason: string, message: string) => ({ message, extensions: { code: 'BAD_REQUEST', reason, http: { status } } });
  return usePersistedOperations({
    allowArbitraryOperations: false,
    getPersistedOperation: (hash) => documents.get(hash) ?? null,
    customErrors: {
      notFound: refusal(400, 'document_not_trusted', 'This gateway runs only trusted documents, and this hash is not one of them'),
      keyNotFound: refusal(400, 'document_hash_required', 'This gateway runs only trusted documents: send extensions.persistedQuery.sha256Hash'),
      persistedQueryOnly: refusal(400, 'document_not_trusted', 'This gateway runs only trusted documents: send the hash of one, not a document'),
    },
  }) as Plugin;
}

/** Bounds of what automatic persisted queries remember. */
export interface AutomaticPersistedQueriesOptions {
  /** Characters of documents remembered in all (least recently used forgotten first). Default 16 MiB (16,777,216). */
  maxTotalLength?: number;
  /** Longest document remembered, in characters; a longer one still runs when sent in full. Default 64 KiB (65,536). */
  maxDocumentLength?: number;
  /** Documents remembered at most. Default 10,000. */
  maxDocuments?: number;
}

/**
 * Automatic persisted queries (Apollo's protocol): a client sends only `extensions.persistedQuery.sha256Hash`;
 * an unknown hash is answered `PersistedQueryNotFound` (HTTP 200, as clients expect) and the client resends
 * the document with its hash, which is checked, and remembered once the document has passed validation (the
 * query limits included): anyone can register documents, so only ones that could run take room, within a
 * budget of characters as well as of documents. Written here because @graphql-yoga/plugin-apq needs
 * @graphql-tools/utils 10, and the gateway is on 12.
 */
export function useAutomaticPersistedQueries(options: AutomaticPersistedQueriesOptions = {}): Plugin {
  const maxDocumentLength = options.maxDocumentLength ?? 65_536;
  const known = new LRUCache<string, string>({
    max: options.maxDocuments ?? 10_000,
    maxSize: options.maxTotalLength ?? 16_777_216,
    sizeCalculation: (query) => Math.max(1, query.length),
  });
  /** Documents of a request sent with their hash, by their text: remembered when they reach execution. */
  const pendingByRequest = new WeakMap<Request, Map<string, string>>();

  function rememberExecuted(request: Request | undefined, document: DocumentNode): void {
    const pending = request && pendingByRequest.get(request);
    if (!pending) return;
    const text = document.loc?.source.body;
    // Without a location (a parser that drops it), only a request of one document can tell which it was.
    const query = text !== undefined ? (pending.has(text) ? text : undefined) : pending.size === 1 ? [...pending.keys()][0] : undefined;
    if (query === undefined) return;
    known.set(pending.get(query)!, query);
    pending.delete(query);
  }

  return {
    onParams({ params, setParams, request }) {
      const hash = hashOf(params.extensions);
      if (hash === undefined) return;
      if (params.query) {
        if (sha256(params.query) !== hash) throw createGatewayError('BAD_REQUEST', 'provided sha does not match query', { httpStatus: 400, extensions: { reason: 'persisted_query_hash_mismatch' } });
        if (params.query.length > maxDocumentLength || known.has(hash)) return;
        let pending = pendingByRequest.get(request);
        if (!pending) pendingByRequest.set(request, (pending = new Map()));
        pending.set(params.query, hash);
        return;
      }
      const query = known.get(hash);
      if (query === undefined) throw createGatewayError('BAD_REQUEST', 'PersistedQueryNotFound', { extensions: { reason: 'persisted_query_not_found' } });
      setParams({ ...params, query });
    },
    // Reached only by documents that parsed and validated.
    onExecute({ args }) {
      rememberExecuted((args.contextValue as { request?: Request }).request, args.document);
    },
    onSubscribe({ args }) {
      rememberExecuted((args.contextValue as { request?: Request }).request, args.document);
    },
  };
}
