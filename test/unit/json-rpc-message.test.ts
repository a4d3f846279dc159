import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { asJsonRpcMessage } from '../../src/transports/json-rpc-message.js';

// Lines as a client (or a fuzzer) might send them; each is parsed as the transports parse it.
const LINES = [
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"memory_usage","arguments":{"action":"retrieve","key":"k"}}}',
  '{"jsonrpc":"2.0","id":"abc","method":"tools/list"}',
  '{"jsonrpc":"2.0","id":0,"method":"ping","params":{}}',
  '{"jsonrpc":"2.0","id":-0,"method":"ping"}',
  '{"jsonrpc":"2.0","method":"notifications/initialized"}',
  '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3,"reason":"user"}}',
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x","_meta":{"progressToken":7}}}',
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x","_meta":{"progressToken":{"no":1}}}}',
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x","_meta":null}}',
  '{"jsonrpc":"2.0","id":5,"result":{}}',
  '{"jsonrpc":"2.0","id":5,"error":{"code":-32601,"message":"no"}}',
  '{"jsonrpc":"2.0","id":1.5,"method":"ping"}',
  '{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}',
  '{"jsonrpc":"2.0","id":null,"method":"ping"}',
  '{"jsonrpc":"2.0","id":true,"method":"ping"}',
  '{"jsonrpc":"2.0","id":[1],"method":"ping"}',
  '{"jsonrpc":"2.0","id":1,"method":7}',
  '{"jsonrpc":"2.0","id":1}',
  '{"jsonrpc":"1.0","id":1,"method":"ping"}',
  '{"id":1,"method":"ping"}',
  '{"jsonrpc":"2.0","id":1,"method":"ping","extra":true}',
  '{"jsonrpc":"2.0","id":1,"method":"ping","__proto__":{"x":1}}',
  '{"jsonrpc":"2.0","id":1,"method":"ping","params":null}',
  '{"jsonrpc":"2.0","id":1,"method":"ping","params":[1,2]}',
  '{"jsonrpc":"2.0","id":1,"method":"ping","params":"p"}',
  '{"jsonrpc":"2.0","method":"n","params":[]}',
  'null',
  '"2.0"',
  '42',
  '{}',
];

describe('asJsonRpcMessage', () => {
  it.each(LINES)('accepts and returns exactly what the SDK schema does: %s', (line) => {
    const value: unknown = JSON.parse(line);
    const expected = JSONRPCMessageSchema.safeParse(JSON.parse(line));
    const message = asJsonRpcMessage(value);
    expect(message !== undefined).toBe(expected.success);
    if (expected.success) expect(message).toEqual(expected.data);
  });

  it('covers both outcomes, so the comparison above can tell them apart', () => {
    const outcomes = LINES.map((line) => JSONRPCMessageSchema.safeParse(JSON.parse(line)).success);
    expect(outcomes.filter(Boolean).length).toBeGreaterThan(5);
    expect(outcomes.filter((ok) => !ok).length).toBeGreaterThan(5);
  });
});
