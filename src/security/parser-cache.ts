import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';

/** Bounds of yoga's parser cache (documents by their text, and the parse errors of bad ones). */
export interface ParserCacheOptions {
  /** Characters of document text kept in each cache (the parsed and the failed), least recently used forgotten first. Default 16 MiB (16,777,216). */
  maxTotalLength?: number;
  /** Documents kept in each cache. Default 1,024 (yoga's own bound). */
  maxDocuments?: number;
}

/**
 * yoga's `parserAndValidationCache` with caches bounded by size as well as count. yoga's default keeps the last
 * 1,024 documents by their text whatever their length, so anyone could make it hold 1,024 bodies of
 * `limits.maxBodyBytes` each (a document padded with spaces or a comment is cheap to send and to parse).
 * Validation results stay in yoga's own cache: they are keyed by the parsed document, which this bounds.
 */
export function boundedParserCache(options: ParserCacheOptions = {}): { documentCache: LRUCache<string, DocumentNode>; errorCache: LRUCache<string, object> } {
  const bounds = { max: options.maxDocuments ?? 1_024, maxSize: options.maxTotalLength ?? 16_777_216, sizeCalculation: (_value: unknown, text: string) => Math.max(1, text.length), ttl: 3_600_000 };
  return { documentCache: new LRUCache<string, DocumentNode>(bounds), errorCache: new LRUCache<string, object>(bounds) };
}
