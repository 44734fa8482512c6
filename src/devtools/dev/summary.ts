import { makeSyncAccountWorkflowId } from '../../../workflows/contract';
import type { DemoLogins } from './seed-demo';

export interface DevSummaryInput {
  apiUrl: string;
  temporalAddress: string;
  uiUrl: string | null;
  platforms: string;
  /** Where the local webhook receiver writes what it gets; null when NOTIFY_WEBHOOK_URL is set. */
  webhookFile: string | null;
  demo: DemoLogins | null;
}

/** What a newcomer needs after `npm run dev`: where things are, how to log in, three commands to try. */
export function formatDevSummary({
  apiUrl,
  temporalAddress,
  uiUrl,
  platforms,
  webhookFile,
  demo,
}: DevSummaryInput): string {
  const lines = [
    '',
    '==================================================================================',
    ' socialsync is running',
    '==================================================================================',
    `  API          ${apiUrl}/api/v1   (docs: ${apiUrl}/docs, readiness: ${apiUrl}/readyz)`,
    `  Temporal     ${temporalAddress}${uiUrl ? `   Web UI: ${uiUrl}` : ''}`,
    `  Platforms    ${platforms}`,
  ];
  if (webhookFile) lines.push(`  Webhooks     events and notifications received: tail -f ${webhookFile}`);
  if (demo) {
    const instagram = demo.accounts.find((account) => account.platform === 'instagram')!;
    lines.push(
      `  Demo user    ${demo.demo.email} / ${demo.demo.password}  (Instagram @${instagram.username}, TikTok connected)`,
      `  Admin        ${demo.admin.email} / ${demo.admin.password}`,
      '',
      'Try it:',
      `  TOKEN=$(curl -s -X POST ${apiUrl}/api/v1/auth/login -H 'content-type: application/json' \\`,
      `    -d '{"email":"${demo.demo.email}","password":"${demo.demo.password}"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')`,
      `  curl -s -X POST ${apiUrl}/api/v1/instagram/sync -H "authorization: Bearer $TOKEN"`,
      `  curl -s ${apiUrl}/api/v1/workflows/${makeSyncAccountWorkflowId(instagram.id)} -H "authorization: Bearer $TOKEN"`,
      '',
      'Connect an account from a browser (TikTok here, Instagram alike): open the URL this prints, press Allow:',
      `  curl -s ${apiUrl}/api/v1/accounts/tiktok/authorize-url -H "authorization: Bearer $TOKEN" | node -pe 'JSON.parse(require("fs").readFileSync(0)).url'`,
      '',
      'Admins: a fleet sync with a live progress bar, and the schedules:',
      `  ${temporalEnv(temporalAddress)}npm run admin -- sync --follow`,
      `  ${temporalEnv(temporalAddress)}npm run admin -- schedules`,
    );
  }
  lines.push('', 'Ctrl-C stops everything; the next `npm run dev` keeps the data in .data/.', '');
  return lines.join('\n');
}

/** The admin command reads TEMPORAL_ADDRESS (default 127.0.0.1:7233): name it when the dev server moved. */
function temporalEnv(address: string): string {
  return address === '127.0.0.1:7233' ? '' : `TEMPORAL_ADDRESS=${address} `;
}
