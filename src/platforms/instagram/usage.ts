import { z } from 'zod';
import { parseAnswerBody } from '../http';
import type { PlatformUsage } from '../types';

/**
 * Meta's usage headers (docs/platforms.md#instagram-rate-limits-and-usage-headers): percentages 0-100, sent "once enough calls have been
 * made", not on every response. Which of the two graph.instagram.com emits is undocumented, so both are read.
 *   X-App-Usage: {"call_count":28,"total_time":25,"total_cputime":25}
 *   X-Business-Use-Case-Usage: {"<ig id>":[{"type":"instagram","call_count":15,...,"estimated_time_to_regain_access":0}]}
 */

const percent = z.coerce.number().catch(0);

const appUsageSchema = z.object({ call_count: percent, total_time: percent, total_cputime: percent });

const bucEntrySchema = z.object({
  type: z.string().optional(),
  call_count: percent,
  total_time: percent,
  total_cputime: percent,
  /** Minutes, not seconds. */
  estimated_time_to_regain_access: percent,
});
const bucSchema = z.record(z.string(), z.array(bucEntrySchema));

export function parseUsageHeaders(headers: Headers): PlatformUsage | null {
  const appUsage = parseAppUsage(headers.get('x-app-usage'));
  const businessUseCase = parseBusinessUseCase(headers.get('x-business-use-case-usage'));
  if (!appUsage && !businessUseCase) return null;
  const percentages = [appUsage, businessUseCase]
    .filter((usage) => usage !== undefined)
    .flatMap((usage) => [usage.callCount, usage.totalTime, usage.totalCputime]);
  return { maxPercent: Math.max(...percentages), appUsage, businessUseCase };
}

function parseAppUsage(header: string | null): PlatformUsage['appUsage'] {
  if (!header) return undefined;
  const parsed = appUsageSchema.safeParse(parseAnswerBody(header, {}));
  if (!parsed.success) return undefined;
  return {
    callCount: parsed.data.call_count,
    totalTime: parsed.data.total_time,
    totalCputime: parsed.data.total_cputime,
  };
}

/** Several business objects or use-case types may be listed: the busiest one is what throttles us. */
function parseBusinessUseCase(header: string | null): PlatformUsage['businessUseCase'] {
  if (!header) return undefined;
  const parsed = bucSchema.safeParse(parseAnswerBody(header, {}));
  if (!parsed.success) return undefined;
  const entries = Object.values(parsed.data).flat();
  if (entries.length === 0) return undefined;
  const busiest = entries.reduce((a, b) => (entryPeak(b) > entryPeak(a) ? b : a));
  return {
    callCount: busiest.call_count,
    totalTime: busiest.total_time,
    totalCputime: busiest.total_cputime,
    regainAccessSeconds: Math.max(...entries.map((entry) => entry.estimated_time_to_regain_access)) * 60,
  };
}

function entryPeak(entry: z.output<typeof bucEntrySchema>): number {
  return Math.max(entry.call_count, entry.total_time, entry.total_cputime);
}
