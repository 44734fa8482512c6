import type { Browser, Page } from 'playwright-core';
import { describeInBrowser, launchChromium } from '../helpers/browser';
import { signUpVerified, startApiHarness, type ApiHarness, type TestUser } from '../helpers/api';

jest.setTimeout(120_000);

/**
 * The explorer at /docs in a real headless Chromium: it loads only this server's files (the page works
 * offline), takes a JWT in its Authorize box and runs GET /api/v1/accounts against the same server.
 */
describeInBrowser('the API explorer at /docs in a real browser', () => {
  let h: ApiHarness;
  let user: TestUser;
  let browser: Browser;
  let page: Page;
  const requested: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    h = await startApiHarness({ label: 'explorer' });
    browser = await launchChromium();
    user = await signUpVerified(h);
    page = await browser.newPage();
    page.on('request', (request) => requested.push(request.url()));
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('pageerror', (error) => problems.push(error.message));
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('renders the operations from /api/v1/openapi.json with nothing fetched from elsewhere', async () => {
    await page.goto(`${h.baseUrl}/docs`);
    await page.locator('#operations-accounts-listAccounts').waitFor();
    expect(await page.locator('.opblock').count()).toBeGreaterThanOrEqual(20);
    await expect(page.locator('.info .title').textContent()).resolves.toContain('socialsync API');
    expect(requested).toContain(`${h.baseUrl}/api/v1/openapi.json`);
    expect(requested.filter((url) => !url.startsWith(`${h.baseUrl}/`))).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('authorizes with a JWT and runs GET /api/v1/accounts from the page, answered 200', async () => {
    await page.locator('button.authorize').first().click();
    const dialog = page.locator('.dialog-ux');
    // One form per security scheme of the document: bearer (a JWT) and cronSecret (X-Cron-Secret).
    const bearer = dialog.locator('form', { hasText: 'bearer (http, Bearer)' });
    await bearer.locator('input').fill(user.token);
    await bearer.locator('button.authorize').click();
    await dialog.locator('button.btn-done').first().click();

    const operation = page.locator('#operations-accounts-listAccounts');
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    const answered = page.waitForResponse((response) => response.url() === `${h.baseUrl}/api/v1/accounts`);
    await operation.locator('button.execute').click();
    const response = await answered;
    expect(response.status()).toBe(200);
    expect(await response.request().headerValue('authorization')).toBe(`Bearer ${user.token}`);
    expect(await response.json()).toEqual({ accounts: [] });
    const shownStatus = operation.locator('.live-responses-table tr.response .response-col_status');
    await expect(shownStatus.textContent()).resolves.toContain('200');
    expect(problems).toEqual([]);
  });
});
