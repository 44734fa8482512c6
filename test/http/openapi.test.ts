import { z } from 'zod';
import { buildOpenApiDocument } from '../../src/http/openapi/document';
import { defineRoute, type RouteDefinition } from '../../src/http/openapi/route';
import { accountRoutes } from '../../src/http/routes/accounts';
import { adminRoutes } from '../../src/http/routes/admin';
import { authRoutes } from '../../src/http/routes/auth';
import { notificationRoutes } from '../../src/http/routes/notifications';
import { workflowRoutes } from '../../src/http/routes/workflows';
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
    expect(Object.keys(op.responses)).toEqual(['202', '400', '404', '429', '500', '503']);
    expect(op.responses['503'].headers).toHaveProperty('Retry-After');
  });

  it('introduces the API with the configured rate limits and the whole error catalogue', () => {
    const description = (doc.info as { description: string }).description;
    expect(description).toContain('| general | 100 per 15 min | client IP | every /api/v1 route |');
    expect(description).toContain('| connection | 50 per day | user id |');
    expect(description).toContain('| 429 | `TOO_MANY_ATTEMPTS`, `RATE_LIMIT_EXCEEDED` |');
    expect(description).toContain('| 500 | `INTERNAL_ERROR` |');
  });

  it('gives every 429 an example of the documented refusal', () => {
    expect(op.responses['429'].content['application/json'].example).toEqual({
      error: 'RATE_LIMIT_EXCEEDED',
      message: 'Too many requests. Please try again later.',
      retryAfter: expect.any(Number),
    });
  });
});

describe('examples of the main routes', () => {
  // Only the definitions matter here: handlers are never called.
  const none = {} as never;
  const routes: RouteDefinition[] = [
    ...authRoutes(none),
    ...accountRoutes(none),
    ...notificationRoutes(),
    ...workflowRoutes(none),
    ...adminRoutes(none, none, [], none),
  ];
  const byId = (operationId: string) => routes.find((route) => route.operationId === operationId)!;

  it.each(['signupInfluencer', 'login', 'connectAccount', 'syncInstagram', 'getWorkflowStatus'])(
    '%s carries examples that its own schemas accept',
    (operationId) => {
      const route = byId(operationId);
      const { body = {}, response = {} } = route.examples ?? {};
      expect(Object.keys({ ...body, ...response }).length).toBeGreaterThan(0);
      for (const { value } of Object.values(body)) expect(route.body!.safeParse(value).error).toBeUndefined();
      for (const { value } of Object.values(response))
        expect(route.success.schema!.safeParse(value).error).toBeUndefined();
    },
  );

  it('puts them in the document next to the schemas they illustrate', () => {
    const document = buildOpenApiDocument({ routes, rateLimits: makeTestConfig().rateLimits });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking a JSON document in assertions
    const paths = (document as { paths: Record<string, Record<string, any>> }).paths;
    const status = paths['/api/v1/workflows/{workflowId}'].get.responses['200'].content['application/json'];
    expect(Object.keys(status.examples)).toEqual(['running', 'completed', 'failed']);
    const signup = paths['/api/v1/auth/signup/influencer'].post.requestBody.content['application/json'];
    expect(signup.examples.influencer.value).toMatchObject({ email: 'maya@example.com' });
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
