import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ACCOUNT_ID_SEARCH_ATTRIBUTE } from './shared';

/** AccountId, Platform and TriggeredBy are all Keyword attributes. */
type KeywordAttribute = typeof ACCOUNT_ID_SEARCH_ATTRIBUTE;

/**
 * Sets each attribute the starter did not set: schedules, the API and the admin command tag their runs, a
 * plain `temporal workflow start` with JSON input does not, and every run must stay filterable in the Web UI.
 */
export function tagMissingSearchAttributes(values: [KeywordAttribute, string | null | undefined][]): void {
  const present = workflowInfo().typedSearchAttributes;
  const updates = values
    .filter(([key, value]) => value && !present.get(key))
    .map(([key, value]) => ({ key, value: value as string }));
  if (updates.length > 0) upsertSearchAttributes(updates);
}
