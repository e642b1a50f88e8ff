import { randomUUID } from 'node:crypto';

/** The header a request's id travels in: from the client (optional), back to it, and on to every backend. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What a client may send as its request id: 1 to 128 characters of letters, digits and `. _ : -` (UUIDs, ULIDs,
 * trace ids, `svc:1234`). Anything else (spaces, quotes, control characters that could forge a log line, or a
 * huge value) is replaced by a generated id.
 */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's id when it is valid, else a new UUID. */
export function acceptOrCreateRequestId(given: string | null | undefined): string {
  return given != null && VALID_REQUEST_ID.test(given) ? given : randomUUID();
}
