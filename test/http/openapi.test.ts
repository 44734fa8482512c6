import { z } from 'zod';
import { buildOpenApiDocument } from '../../src/http/openapi/document';
import { renderDocsPage } from '../../src/http/openapi/docs-page';
import { defineRoute } from '../../src/http/openapi/route';
import { validationError, toAppError } from '../../src/http/middleware/errors';
import { makeTestConfig } from '../helpers/config';

describe('OpenAPI generation from route definitions', () => {
  const route = defineRoute({
    method: 'post',
    path: '/things/:id/poke',
    operationId: 'pokeThing',
    tag: 'things',
    summary: 'Poke a <thing>',
    auth: 'admin',
    rateLimit: 'social',
    params: z.object({ id: z.uuid() }),
    query: z.object({ hard: z.enum(['yes', 'no']).optional() }),
    body: z.strictObject({ times: z.number().int().min(1) }),
    success: { status: 202, description: 'Poked', schema: z.object({ ok: z.boolean() }) },
    errors: ['NOT_FOUND', 'VALIDATION_FAILED'],
    handler: async () => ({ ok: true }),
  });
  const config = makeTestConfig();
  const doc = buildOpenApiDocument({ routes: [route], rateLimits: config.rateLimits });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking a JSON document in assertions
  const op = (doc as { paths: Record<string, Record<string, any>> }).paths['/api/v1/things/{id}/poke'].post;

  it('maps params, query, body, security, limits and every error status', () => {
    expect(op.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
      expect.objectContaining({
        name: 'hard',
        in: 'query',
        required: false,
        schema: { type: 'string', enum: ['yes', 'no'] },
      }),
    ]);
    expect(op.requestBody).toMatchObject({
      required: true,
      content: { 'application/json': { schema: { required: ['times'], additionalProperties: false } } },
    });
    expect(op.requestBody.content['application/json'].schema).not.toHaveProperty('$schema');
    expect(op.security).toEqual([{ bearer: [] }, { cronSecret: [] }]);
    expect(op['x-rate-limits']).toEqual(['general: 100 per 15 min', 'social: 10 per 15 min']);
    expect(Object.keys(op.responses)).toEqual(['202', '400', '404', '429', '500']);
  });

  it('renders a docs page that escapes what it shows', () => {
    const html = renderDocsPage(doc, [
      { name: 'social', limit: '10 per 15 min', key: 'user id', appliesTo: 'syncs' },
    ]);
    expect(html).toContain('Poke a &#60;thing&#62;');
    expect(html).not.toContain('Poke a <thing>');
    expect(html).toContain('/api/v1/things/{id}/poke');
  });
});

describe('error mapping', () => {
  it('names each bad field with its location', () => {
    const result = z.object({ email: z.email(), age: z.number() }).safeParse({ email: 'x', age: 'y' });
    const error = validationError(result.error!, 'body');
    expect(error.status).toBe(400);
    expect(error.details).toEqual([
      { field: 'body.email', message: expect.any(String) },
      { field: 'body.age', message: expect.any(String) },
    ]);
  });

  it('leaves unknown and 5xx errors unclassified so they become INTERNAL_ERROR', () => {
    expect(toAppError(new Error('boom'))).toBeNull();
    expect(toAppError(Object.assign(new Error('db down'), { status: 503 }))).toBeNull();
    expect(toAppError(Object.assign(new Error('too big'), { status: 413 }))?.code).toBe('PAYLOAD_TOO_LARGE');
  });
});
