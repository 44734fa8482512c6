import { z } from 'zod';
import { ERROR_CATALOGUE, type ErrorCode } from '../../errors';
import { describeWindow, POLICY_BEHAVIOUR, POLICY_NAMES, type PolicyName } from '../rate-limit/policies';
import type { BrowserResponse, RouteDefinition, RouteExample } from './route';

type JsonSchema = Record<string, unknown>;

export const API_BASE_PATH = '/api/v1';

const ERROR_ENVELOPE = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', enum: Object.keys(ERROR_CATALOGUE), description: 'Stable code: branch on this' },
    message: { type: 'string', description: 'Safe to show; never internals' },
    details: { description: 'Per-field problems for VALIDATION_FAILED: [{ field, message }]' },
    requestId: { type: 'string', description: 'On 5xx only; also in the X-Request-Id header and the log' },
  },
};

const RATE_LIMITED = {
  type: 'object',
  required: ['error', 'message', 'retryAfter'],
  properties: {
    error: { const: 'RATE_LIMIT_EXCEEDED' },
    message: { const: 'Too many requests. Please try again later.' },
    retryAfter: { type: 'integer', minimum: 1, description: 'Seconds; also in Retry-After' },
  },
};

const RATE_LIMITED_EXAMPLE = {
  error: 'RATE_LIMIT_EXCEEDED',
  message: 'Too many requests. Please try again later.',
  retryAfter: 540,
};

export interface DocumentOptions {
  routes: readonly RouteDefinition[];
  rateLimits: Record<PolicyName, { max: number; windowSeconds: number }>;
  serverUrl?: string;
}

/** OpenAPI 3.1 (whose schema dialect is JSON Schema 2020-12, what `z.toJSONSchema` writes). */
export function buildOpenApiDocument({ routes, rateLimits, serverUrl }: DocumentOptions): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = `${API_BASE_PATH}${route.path.replace(/:(\w+)/g, '{$1}')}`;
    paths[path] = { ...paths[path], [route.method]: operation(route, rateLimits) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'socialsync API',
      version: '1.0.0',
      description: describeApi(rateLimits),
    },
    servers: [{ url: serverUrl ?? '/' }],
    paths,
    components: {
      schemas: { Error: ERROR_ENVELOPE, RateLimited: RATE_LIMITED },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        cronSecret: { type: 'apiKey', in: 'header', name: 'X-Cron-Secret' },
      },
    },
  };
}

function operation(route: RouteDefinition, rateLimits: DocumentOptions['rateLimits']): JsonSchema {
  const limits = (['general', ...(route.rateLimit ? [route.rateLimit] : [])] as PolicyName[]).map((name) => {
    const { max, windowSeconds } = rateLimits[name];
    return `${name}: ${max} per ${describeWindow(windowSeconds)}`;
  });
  const parameters = [...objectParameters(route.params, 'path'), ...objectParameters(route.query, 'query')];
  const result: JsonSchema = {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    description: [route.description, `Rate limits: ${limits.join('; ')}.`].filter(Boolean).join('\n\n'),
    security: security(route.auth),
    'x-rate-limits': limits,
    responses: responses(route),
  };
  if (parameters.length) result.parameters = parameters;
  if (route.body) {
    result.requestBody = {
      required: !route.body.safeParse(undefined).success,
      content: {
        'application/json': { schema: toSchema(route.body, 'input'), ...examples(route.examples?.body) },
      },
    };
  }
  return result;
}

function security(auth: RouteDefinition['auth']): unknown[] {
  if (auth === 'none') return [];
  if (auth === 'user') return [{ bearer: [] }];
  return [{ bearer: [] }, { cronSecret: [] }];
}

function responses(route: RouteDefinition): JsonSchema {
  if (route.browser) return browserResponses(route.browser.responses);
  const out: JsonSchema = {
    [route.success.status]: {
      description: route.success.description,
      ...(route.success.schema
        ? {
            content: {
              'application/json': {
                schema: toSchema(route.success.schema, 'output'),
                ...examples(route.examples?.response),
              },
            },
          }
        : {}),
    },
  };
  const byStatus = new Map<number, ErrorCode[]>();
  // Every route reads PostgreSQL or Temporal: each can answer 503 while one is unreachable (set below).
  for (const code of new Set<ErrorCode>([...route.errors, 'INTERNAL_ERROR'])) {
    const status = ERROR_CATALOGUE[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[status] = {
      description: codes.join(', '),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  out[503] = {
    description: 'SERVICE_UNAVAILABLE: PostgreSQL or Temporal is unreachable; try again after Retry-After',
    headers: {
      'Retry-After': {
        description: 'Seconds to wait before trying again',
        schema: { type: 'integer', minimum: 1 },
      },
    },
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
  out[429] = {
    description:
      'RATE_LIMIT_EXCEEDED (with Retry-After, RateLimit-Policy, RateLimit and X-RateLimit-* headers)',
    content: {
      'application/json': {
        schema: { $ref: '#/components/schemas/RateLimited' },
        example: RATE_LIMITED_EXAMPLE,
      },
    },
  };
  return out;
}

/**
 * A browser route's redirects and pages, as it documents them; the general limiter, which runs before any
 * route, still refuses with the JSON 429.
 */
function browserResponses(answers: Record<string, BrowserResponse>): JsonSchema {
  const out: JsonSchema = {};
  for (const [status, answer] of Object.entries(answers)) {
    out[status] = {
      description: answer.description,
      ...(answer.location
        ? { headers: { Location: { description: answer.location, schema: { type: 'string' } } } }
        : {}),
      ...(answer.html ? { content: { 'text/html': { schema: { type: 'string' } } } } : {}),
    };
  }
  out[429] = {
    description: "RATE_LIMIT_EXCEEDED from the general limit (the route's own limit answers like its errors)",
    content: {
      'application/json': {
        schema: { $ref: '#/components/schemas/RateLimited' },
        example: RATE_LIMITED_EXAMPLE,
      },
    },
  };
  return out;
}

/** Named examples (Swagger UI offers them in a list and fills "Try it out" with the first). */
function examples(named: Record<string, RouteExample> | undefined): JsonSchema {
  return named ? { examples: named } : {};
}

/**
 * The document's introduction (Markdown, rendered by the explorer): authentication, the error envelope, the
 * rate-limit policies with the configured numbers, and the error catalogue.
 */
function describeApi(rateLimits: DocumentOptions['rateLimits']): string {
  const policies = POLICY_NAMES.map((name) => {
    const { max, windowSeconds } = rateLimits[name];
    const behaviour = POLICY_BEHAVIOUR[name];
    const key = behaviour.key === 'ip' ? 'client IP' : 'user id';
    return `| ${name} | ${max} per ${describeWindow(windowSeconds)} | ${key} | ${behaviour.appliesTo} |`;
  });
  const byStatus = new Map<number, string[]>();
  for (const [code, status] of Object.entries(ERROR_CATALOGUE))
    byStatus.set(status, [...(byStatus.get(status) ?? []), `\`${code}\``]);
  const codes = [...byStatus]
    .sort(([a], [b]) => a - b)
    .map(([status, names]) => `| ${status} | ${names.join(', ')} |`);
  return [
    'Sign up, connect Instagram and TikTok accounts, start syncs and read their status and data.',
    '',
    'Authenticate with `Authorization: Bearer <token>` from login or verify-otp (the **Authorize** button ' +
      'takes the token alone); admin routes also accept `X-Cron-Secret`.',
    '',
    'Every error is `{ "error": CODE, "message": "...", "details"?: ... }`; a 5xx adds `requestId` (also in ' +
      '`X-Request-Id`). Branch on `error`.',
    '',
    '### Rate limits',
    '',
    'Every /api/v1 route counts against `general`; some also against their own policy. A refusal is `429` ' +
      'with `Retry-After` (whole seconds, at least 1) and `{"error":"RATE_LIMIT_EXCEEDED","message":"...",' +
      '"retryAfter":<s>}`. Limited answers carry `RateLimit-Policy`, `RateLimit` and `X-RateLimit-*` headers.',
    '',
    '| policy | limit | key | applied to |',
    '| --- | --- | --- | --- |',
    ...policies,
    '',
    '### Error codes',
    '',
    '| HTTP | codes |',
    '| --- | --- |',
    ...codes,
  ].join('\n');
}

function objectParameters(schema: z.ZodType | undefined, location: 'path' | 'query'): JsonSchema[] {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => ({
    name,
    in: location,
    required: location === 'path' || !field.safeParse(undefined).success,
    schema: toSchema(field, 'input'),
    ...(field.description ? { description: field.description } : {}),
  }));
}

export function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}
