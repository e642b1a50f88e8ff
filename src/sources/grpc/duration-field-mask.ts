import protobuf from 'protobufjs';

/** google.protobuf.Duration as decoded with `longs: String`. */
export interface DurationObject {
  readonly seconds: string;
  readonly nanos: number;
}

/** protobuf's JSON form: optional sign, whole seconds, up to 9 fractional digits, then `s`. */
const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

/** The largest magnitude the Duration spec allows (about 10,000 years), in seconds. */
const MAX_DURATION_SECONDS = 315_576_000_000n;

/** `"1.5s"`, `"-0.000000001s"`, `"3s"`: 0, 3, 6 or 9 fractional digits as protobuf's JSON mapping prints them. */
export function durationToString(duration: { readonly seconds?: unknown; readonly nanos?: unknown }): string {
  // BigInt keeps int64 seconds exact; proto-loader's `longs: String` hands them over as strings.
  const seconds = BigInt(String(duration.seconds ?? 0));
  const nanos = Number(duration.nanos ?? 0);
  const negative = seconds < 0n || nanos < 0;
  const whole = (seconds < 0n ? -seconds : seconds).toString();
  const fraction = Math.abs(nanos);
  if (fraction === 0) return `${negative ? '-' : ''}${whole}s`;
  const digits = fraction % 1_000_000 === 0 ? 3 : fraction % 1000 === 0 ? 6 : 9;
  return `${negative ? '-' : ''}${whole}.${String(fraction).padStart(9, '0').slice(0, digits)}s`;
}

/** Seconds and nanos carry the same sign, as the Duration spec requires. Throws a TypeError naming the value. */
export function stringToDuration(value: string): DurationObject {
  const match = DURATION.exec(value);
  if (match === null) throw new TypeError(`"${value}" is not a duration (seconds with an "s" suffix, e.g. "1.5s")`);
  const seconds = BigInt(match[2] ?? '0');
  if (seconds > MAX_DURATION_SECONDS) throw new TypeError(`"${value}" is longer than a google.protobuf.Duration can hold`);
  const sign = match[1] === '-' ? -1 : 1;
  const nanos = Number((match[3] ?? '').padEnd(9, '0'));
  return { seconds: String(sign < 0 ? -seconds : seconds), nanos: sign * nanos };
}

/** Paths camelCased (proto-loader names fields the same way) and joined by commas, as in protobuf's JSON mapping. */
export function fieldMaskToString(mask: { readonly paths?: unknown }): string {
  const paths = Array.isArray(mask.paths) ? (mask.paths as unknown[]) : [];
  return paths.map((path) => String(path).split('.').map((segment) => protobuf.util.camelCase(segment)).join('.')).join(',');
}

/** The inverse: `"customerId,lines.unitPrice"` → `["customer_id", "lines.unit_price"]`; '' is an empty mask. */
export function stringToFieldMask(value: string): { paths: string[] } {
  if (value.trim() === '') return { paths: [] };
  return { paths: value.split(',').map((path) => path.trim().split('.').map(snakeCase).join('.')) };
}

function snakeCase(segment: string): string {
  return segment.replace(/[A-Z]/g, (char) => `_${char.toLowerCase()}`);
}
