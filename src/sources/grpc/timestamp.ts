/** google.protobuf.Timestamp as proto-loader represents it with `longs: String`. */
export interface TimestampObject {
  readonly seconds: string;
  readonly nanos: number;
}

/** RFC 3339 with any offset and up to nanosecond precision, which is what protobuf's JSON mapping accepts. */
const RFC_3339 = /^(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** UTC, with 0, 3, 6 or 9 fractional digits as protobuf's JSON mapping prints it. */
export function timestampToIso(timestamp: { readonly seconds?: unknown; readonly nanos?: unknown }): string {
  const seconds = Number(timestamp.seconds ?? 0);
  const nanos = Number(timestamp.nanos ?? 0);
  const whole = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (nanos === 0) return `${whole}Z`;
  const digits = nanos % 1_000_000 === 0 ? 3 : nanos % 1000 === 0 ? 6 : 9;
  return `${whole}.${String(nanos).padStart(9, '0').slice(0, digits)}Z`;
}

export function isoToTimestamp(value: string): TimestampObject {
  const match = RFC_3339.exec(value);
  const millis = match ? Date.parse(`${match[1] ?? ''}${match[3] ?? ''}`) : Number.NaN;
  if (!match || Number.isNaN(millis)) throw new TypeError(`"${value}" is not an RFC 3339 date-time`);
  return { seconds: String(millis / 1000), nanos: Number((match[2] ?? '').padEnd(9, '0')) };
}
