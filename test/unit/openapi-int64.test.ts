import { describe, expect, it } from 'vitest';
import { int64Literal, int64Value, InvalidInt64Error, parseJsonLosslessly, stringifyJsonLosslessly } from '../../src/sources/openapi/int64.js';

describe('int64 values', () => {
  it('accepts optionally signed base-10 integers within the range of the format', () => {
    expect(int64Value('9007199254740993', 'int64')).toBe(9007199254740993n);
    expect(int64Value('-9223372036854775808', 'int64')).toBe(-(2n ** 63n));
    expect(int64Value('+007', 'int64')).toBe(7n);
    expect(int64Value('18446744073709551615', 'uint64')).toBe(2n ** 64n - 1n);
    expect(int64Value(42, 'int64')).toBe(42n);
  });

  it.each([
    ['12a', 'int64'],
    ['', 'int64'],
    [' 12', 'int64'],
    ['0x10', 'int64'],
    ['1e3', 'int64'],
    ['1.5', 'int64'],
    ['9223372036854775808', 'int64'],
    ['-9223372036854775809', 'int64'],
    ['-1', 'uint64'],
    ['18446744073709551616', 'uint64'],
    [1.5, 'int64'],
    [true, 'int64'],
  ] as const)('rejects %j as %s', (value, format) => {
    expect(() => int64Value(value, format)).toThrow(InvalidInt64Error);
  });

  it('writes spec defaults as String literals, or nothing when they are not integers', () => {
    expect(int64Literal(0, 'int64')).toBe('"0"');
    expect(int64Literal('9007199254740993', 'int64')).toBe('"9007199254740993"');
    expect(int64Literal('abc', 'int64')).toBeUndefined();
  });
});

describe('lossless JSON', () => {
  it('keeps the digits of integers JSON.parse would round, and gives every other number as JSON.parse does', () => {
    const text = '{"big":9007199254740993,"min":-9223372036854775808,"safe":42,"float":0.1,"exp":1e300,"bigFloat":12345678901234567890.5,"list":[18446744073709551615]}';
    expect(parseJsonLosslessly(text)).toEqual({
      big: '9007199254740993',
      min: '-9223372036854775808',
      safe: 42,
      float: 0.1,
      exp: 1e300,
      bigFloat: 12345678901234567890.5,
      list: ['18446744073709551615'],
    });
  });

  it('behaves like JSON.parse on repeated keys, __proto__ and invalid text', () => {
    expect(parseJsonLosslessly('{"a":1,"a":2}')).toEqual(JSON.parse('{"a":1,"a":2}'));
    const parsed = parseJsonLosslessly('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(() => parseJsonLosslessly('{"id": "p')).toThrow(SyntaxError);
  });

  it('writes bigints as bare numbers with every digit', () => {
    expect(stringifyJsonLosslessly({ amount: -(2n ** 63n), legs: [9007199254740993n], memo: 'a"b', skipped: undefined })).toBe(
      '{"amount":-9223372036854775808,"legs":[9007199254740993],"memo":"a\\"b"}',
    );
  });
});
