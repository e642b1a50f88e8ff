import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
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

/**
 * Automatic persisted queries (Apollo's protocol): a client sends only `extensions.persistedQuery.sha256Hash`;
 * an unknown hash is answered `PersistedQueryNotFound` (HTTP 200, as clients expect) and the client resends
 * the document with its hash, which is checked and remembered (the 10,000 most recently used). Written here
 * because @graphql-yoga/plugin-apq needs @graphql-tools/utils 10, and the gateway is on 12.
 */
export function useAutomaticPersistedQueries(): Plugin {
  const known = new LRUCache<string, string>({ max: 10_000 });
  return {
    onParams({ params, setParams }) {
      const hash = hashOf(params.extensions);
      if (hash === undefined) return;
      if (params.query) {
        if (sha256(params.query) !== hash) throw createGatewayError('BAD_REQUEST', 'provided sha does not match query', { httpStatus: 400, extensions: { reason: 'persisted_query_hash_mismatch' } });
        known.set(hash, params.query);
        return;
      }
      const query = known.get(hash);
      if (query === undefined) throw createGatewayError('BAD_REQUEST', 'PersistedQueryNotFound', { extensions: { reason: 'persisted_query_not_found' } });
      setParams({ ...params, query });
    },
  };
}
