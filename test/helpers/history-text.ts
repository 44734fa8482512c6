import type { Client } from '@temporalio/client';

/**
 * Every byte of a workflow's history as text, across all its runs (continue-as-new chain): payloads are
 * protobuf bytes, so each binary field is decoded as UTF-8 (JSON.stringify would give base64 through the
 * messages' toJSON). A secret anywhere in inputs, results, failures, heartbeats or search attributes shows.
 */
export async function workflowHistoryText(client: Client, workflowId: string): Promise<string> {
  const parts: string[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await client.workflow.getHandle(workflowId, execution.runId).fetchHistory();
    collectText(history, parts);
  }
  if (parts.length === 0) throw new Error(`no runs of ${workflowId}`);
  return parts.join('\n');
}

function collectText(value: unknown, out: string[]): void {
  if (value === null || value === undefined) return;
  if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    out.push(String(value));
  else if (Array.isArray(value)) for (const item of value) collectText(item, out);
  else if (typeof value === 'object') for (const item of Object.values(value)) collectText(item, out);
}
