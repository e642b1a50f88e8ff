import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createInMemoryDemo } from '../helpers/in-memory-demo.js';

/** Tracing is off unless `telemetry.otlp.endpoint` is set, and then costs nothing: no module, no stage, no span. */
const SRC = join(import.meta.dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('tracing when it is not configured', () => {
  it('adds no stage, passes no trace context on, and has no tracer', async () => {
    await using demo = await createInMemoryDemo();
    const seen: Record<string, string>[] = [];
    demo.backends.answer('orders.getOrder', (_args, call) => {
      seen.push({ ...call.headers });
      return { id: '1' };
    });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await demo.query('{ order(id: "1") { id } }', { headers: { traceparent } });
    expect(demo.gateway.telemetry.tracing).toBeUndefined();
    expect(demo.gateway.current.sources.get('orders')?.stages).not.toContain('tracing');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.['traceparent']).toBeUndefined();
  });

  it('loads OpenTelemetry only through the dynamic imports of observability/tracing.ts', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/^import\s+(type\s+)?[^;]*from\s+'(@opentelemetry\/[^']+)'/gm)) {
        if (match[1] === undefined) offenders.push(`${relative(SRC, file)}: ${match[2]}`);
      }
    }
    expect(offenders).toEqual([]);
    expect(readFileSync(join(SRC, 'observability', 'tracing.ts'), 'utf8')).toMatch(/import\('@opentelemetry\/sdk-trace-base'\)/);
  });
});
