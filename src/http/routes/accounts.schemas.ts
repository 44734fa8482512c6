import { z } from 'zod';
import { limitQuery } from '../schemas';

export const connectBody = z.strictObject({
  code: z.string().min(1).max(4096).describe('the code the platform sent to your redirect URI'),
  state: z.string().min(1).max(4096).describe('the state from authorize-url, unchanged'),
});

export const postsQuery = z.object({
  limit: limitQuery(20, 100),
  cursor: z.string().max(200).optional().describe('nextCursor of the previous page'),
});

export const historyQuery = z.object({
  days: z.coerce.number().int().min(1).max(366).default(30).describe('1 to 366, default 30'),
});
