import type { Pool } from 'undici';
import { httpCallFailure } from './call-failure.js';
import { TransportError } from './types.js';

/** GETs `path` on the pool's origin; a 2xx is healthy, anything else rejects with a TransportError. */
export async function checkHttpHealth(pool: Pool, endpoint: string, path: string, signal: AbortSignal): Promise<void> {
  let status: number;
  try {
    const response = await pool.request({ method: 'GET', path, signal });
    status = response.statusCode;
    await response.body.dump();
  } catch (error) {
    throw httpCallFailure(error, `${endpoint} health check`, signal);
  }
  if (status < 200 || status >= 300) throw new TransportError('unavailable', `${endpoint} health check answered ${status}`, { status });
}
