import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, printType, type GraphQLNamedType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { durationToString, fieldMaskToString, stringToDuration, stringToFieldMask } from '../../src/sources/grpc/duration-field-mask.js';
import { convertProto } from '../../src/sources/grpc/index.js';
import { loadProto } from '../../src/sources/grpc/load-proto.js';
import { decodeReply, encodeRequest } from '../../src/sources/grpc/proto-values.js';

const protoFile = fileURLToPath(new URL('../fixtures/grpc/well-known.proto', import.meta.url));
const root = loadProto(protoFile, []);
const updateJobRequest = root.lookupType('wkt.v1.UpdateJobRequest');

describe('well-known types', () => {
  it('exposes Duration and FieldMask as String and Any as JSON, in outputs and inputs', async () => {
    const source = await convertProto({ name: 'jobs', protoFile });
    const schema = buildSchema(source.typeDefs);
    expect(printType(schema.getType('Job') as GraphQLNamedType)).toBe(`type Job {
  jobId: String
  timeout: String
  updateMask: String
  payload: JSON
  history: [JSON]!
  startedAt: DateTime
}`);
    expect(printType(schema.getType('JobInput') as GraphQLNamedType)).toContain('timeout: String\n  updateMask: String\n  payload: JSON');
    expect(schema.getType('Retry')).toBeUndefined();
  });

  it('round-trips Duration, FieldMask and Any through the wire format', () => {
    const args = {
      job: {
        jobId: 'j-1',
        timeout: '1.5s',
        updateMask: 'timeout,payload.backoff',
        payload: { '@type': 'type.googleapis.com/wkt.v1.Retry', attempts: 3, backoff: '-0.000000250s', budgetBytes: '9007199254740993' },
        history: [{ '@type': 'wkt.v1.Retry', attempts: 1, backoff: '2s', budgetBytes: '0' }],
        startedAt: '2026-01-02T03:04:05.006Z',
      },
      updateMask: 'jobId',
    };
    const bytes = encodeRequest(updateJobRequest, args);
    // What a backend would see: the JSON forms became the proto messages they stand for.
    const raw = updateJobRequest.toObject(updateJobRequest.decode(bytes), { longs: String });
    expect(raw).toMatchObject({
      job: { timeout: { seconds: '1', nanos: 500_000_000 }, updateMask: { paths: ['timeout', 'payload.backoff'] }, payload: { type_url: 'type.googleapis.com/wkt.v1.Retry' } },
      updateMask: { paths: ['job_id'] },
    });
    expect((raw['job'] as { history: { type_url: string }[] }).history[0]?.type_url).toBe('type.googleapis.com/wkt.v1.Retry');
    expect(decodeReply(updateJobRequest, bytes)).toEqual({
      // protobuf's JSON mapping prints 0, 3, 6 or 9 fractional digits.
      job: { ...args.job, timeout: '1.500s', history: [{ ...args.job.history[0], '@type': 'type.googleapis.com/wkt.v1.Retry' }] },
      updateMask: 'jobId',
    });
  });

  it('passes an Any of an unknown type through as base64, and rejects one on input', () => {
    const job = root.lookupType('wkt.v1.Job');
    const bytes = job.encode(job.fromObject({ payload: { type_url: 'type.googleapis.com/other.Thing', value: Buffer.from([1, 2]) } })).finish();
    expect(decodeReply(job, bytes)).toMatchObject({ payload: { '@type': 'type.googleapis.com/other.Thing', value: 'AQI=' } });
    expect(() => encodeRequest(updateJobRequest, { job: { payload: { '@type': 'other.Thing' } } })).toThrow('unknown message type other.Thing');
    expect(() => encodeRequest(updateJobRequest, { job: { payload: { attempts: 1 } } })).toThrow('"@type"');
  });

  it.each([
    [{ seconds: '3', nanos: 0 }, '3s'],
    [{ seconds: '1', nanos: 500_000_000 }, '1.500s'],
    [{ seconds: '0', nanos: 1 }, '0.000000001s'],
    [{ seconds: '-2', nanos: -250_000 }, '-2.000250s'],
    [{ seconds: '315576000000', nanos: 0 }, '315576000000s'],
  ])('prints Duration %o as %s and parses it back', (duration, text) => {
    expect(durationToString(duration)).toBe(text);
    expect(stringToDuration(text)).toEqual(duration);
  });

  it('rejects durations that are not protobuf JSON or out of range', () => {
    expect(() => stringToDuration('1.5')).toThrow('not a duration');
    expect(() => stringToDuration('PT1S')).toThrow('not a duration');
    expect(() => stringToDuration('315576000001s')).toThrow('longer than');
  });

  it('camelCases field mask paths on the way out and snake_cases them on the way in', () => {
    expect(fieldMaskToString({ paths: ['customer_id', 'lines.unit_price'] })).toBe('customerId,lines.unitPrice');
    expect(stringToFieldMask('customerId, lines.unitPrice')).toEqual({ paths: ['customer_id', 'lines.unit_price'] });
    expect(stringToFieldMask('')).toEqual({ paths: [] });
  });
});
