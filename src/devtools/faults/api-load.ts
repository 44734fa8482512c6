/**
 * HTTP load against the API processes: one answer per request with its status, latency and Retry-After.
 * Every client address is spoken through X-Forwarded-For (the API trusts one hop in the suite), so each
 * check gets budgets of its own and a sustained load never runs into the general limiter.
 */
export interface Answer {
  status: number;
  ms: number;
  retryAfter: string | null;
  error: string | null;
  rateLimitHeader: string | null;
}

export interface RequestSpec {
  baseUrl: string;
  method: 'GET' | 'POST';
  path: string;
  clientIp: string;
  token?: string;
  body?: unknown;
}

const REQUEST_TIMEOUT_MS = 15_000;

export async function send(spec: RequestSpec): Promise<Answer> {
  const started = performance.now();
  try {
    const response = await fetch(`${spec.baseUrl}${spec.path}`, {
      method: spec.method,
      headers: {
        'x-forwarded-for': spec.clientIp,
        ...(spec.token ? { authorization: `Bearer ${spec.token}` } : {}),
        ...(spec.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    let error: string | null = null;
    try {
      error = (JSON.parse(text) as { error?: string }).error ?? null;
    } catch {
      error = null;
    }
    return {
      status: response.status,
      ms: performance.now() - started,
      retryAfter: response.headers.get('retry-after'),
      error,
      rateLimitHeader: response.headers.get('ratelimit'),
    };
  } catch (error) {
    return {
      status: 0,
      ms: performance.now() - started,
      retryAfter: null,
      error: (error as Error).name,
      rateLimitHeader: null,
    };
  }
}

/** Every request at once. */
export function burst(specs: RequestSpec[]): Promise<Answer[]> {
  return Promise.all(specs.map(send));
}

/** `concurrency` clients, each sending one request, pausing `pauseMs`, and again, until `durationMs` has passed. */
export async function sustained(
  durationMs: number,
  concurrency: number,
  pauseMs: number,
  next: () => RequestSpec,
): Promise<Answer[]> {
  const answers: Answer[] = [];
  const until = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        answers.push(await send(next()));
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    }),
  );
  return answers;
}

let ipCounter = 0;
/** A client address no earlier request of this process used: 10.x.y.z, counting up. */
export function freshClientIp(): string {
  ipCounter++;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** `{ "503": 120, "200": 3 }` as `503 x120, 200 x3`. */
export function statusCounts(answers: Answer[]): string {
  const counts = new Map<string, number>();
  for (const answer of answers) {
    const key =
      answer.status === 0
        ? `network error (${answer.error})`
        : `${answer.status}${answer.error ? ` ${answer.error}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => `${key} x${count}`).join(', ');
}
