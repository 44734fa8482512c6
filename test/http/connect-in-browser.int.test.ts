import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { oauthCallbackPath } from '../../src/http/routes/oauth-callback';
import type { Platform } from '../../src/platforms/types';
import { describeInBrowser, launchChromium } from '../helpers/browser';
import { signUpVerified, startApiHarness, type ApiHarness } from '../helpers/api';

jest.setTimeout(120_000);

/** The marketplace's page CONNECT_RETURN_URL names: it only has to be there for the browser to land on. */
async function startReturnPage(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Back in the marketplace</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/connections`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Connecting from a browser, end to end in Debian's Chromium: log in through the API, open the authorize URL,
 * answer the simulator's consent screen, and land on CONNECT_RETURN_URL through the API's callback.
 */
describeInBrowser('connecting accounts from a real browser', () => {
  let h: ApiHarness;
  let returnPage: Awaited<ReturnType<typeof startReturnPage>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let token: string;
  /** Every URL the browser asked for, in order (the callback's included). */
  const visited: string[] = [];

  beforeAll(async () => {
    returnPage = await startReturnPage();
    h = await startApiHarness({
      label: 'browser-connect',
      env: (baseUrl) => ({
        CONNECT_RETURN_URL: returnPage.url,
        INSTAGRAM_REDIRECT_URI: `${baseUrl}${oauthCallbackPath('instagram')}`,
        TIKTOK_REDIRECT_URI: `${baseUrl}${oauthCallbackPath('tiktok')}`,
      }),
    });
    // The platforms accept only the redirect URI registered for the app: register the API's callback.
    h.sim.control.configure({
      apps: {
        instagram: { redirectUri: h.config.instagram.redirectUri },
        tiktok: { redirectUri: h.config.tiktok.redirectUri },
      },
    });
    const user = await signUpVerified(h);
    const login = await h.request
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password });
    expect(login.status).toBe(200);
    token = login.body.token;
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
    page.on('request', (request) => visited.push(request.url()));
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await returnPage?.close();
  });

  const authorizeUrl = async (platform: Platform): Promise<string> => {
    const res = await h.request
      .get(`/api/v1/accounts/${platform}/authorize-url`)
      .set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    return res.body.url;
  };

  /** Opens the consent screen, presses a button, and returns the query the marketplace's page received. */
  async function consent(platform: Platform, button: 'Allow' | 'Cancel'): Promise<Record<string, string>> {
    await page.goto(await authorizeUrl(platform));
    await page.getByRole('button', { name: button }).click();
    await page.waitForURL((url) => url.href.startsWith(returnPage.url));
    await page.getByRole('heading', { name: 'Back in the marketplace' }).waitFor();
    return Object.fromEntries(new URL(page.url()).searchParams);
  }

  const listAccounts = async () =>
    (await h.request.get('/api/v1/accounts').set('Authorization', `Bearer ${token}`)).body.accounts as {
      id: string;
      platform: string;
    }[];

  it('connects Instagram and TikTok through the consent screens and lands on CONNECT_RETURN_URL', async () => {
    const instagram = await consent('instagram', 'Allow');
    expect(instagram).toEqual({ status: 'connected', platform: 'instagram', accountId: expect.any(String) });
    const tiktok = await consent('tiktok', 'Allow');
    expect(tiktok).toEqual({ status: 'connected', platform: 'tiktok', accountId: expect.any(String) });

    const accounts = await listAccounts();
    expect(
      accounts
        .map(({ id, platform }) => ({ id, platform }))
        .sort((a, b) => a.platform.localeCompare(b.platform)),
    ).toEqual([
      { id: instagram.accountId, platform: 'instagram' },
      { id: tiktok.accountId, platform: 'tiktok' },
    ]);
    // The browser went through the API's callback: the platforms' redirects pointed there.
    const callbacks = visited.filter((url) => url.includes('/api/v1/oauth/'));
    expect(callbacks.map((url) => new URL(url).pathname)).toEqual([
      '/api/v1/oauth/instagram/callback',
      '/api/v1/oauth/tiktok/callback',
    ]);
  });

  it('comes back with CONSENT_DENIED when the consent is refused, connecting nothing', async () => {
    const before = await listAccounts();
    expect(await consent('instagram', 'Cancel')).toEqual({
      status: 'error',
      platform: 'instagram',
      error: 'CONSENT_DENIED',
    });
    expect(await consent('tiktok', 'Cancel')).toEqual({
      status: 'error',
      platform: 'tiktok',
      error: 'CONSENT_DENIED',
    });
    expect(await listAccounts()).toEqual(before);
  });

  it('refuses the callback replayed with its state (STATE_ALREADY_USED)', async () => {
    const used = visited.find(
      (url) => url.includes('/api/v1/oauth/tiktok/callback') && url.includes('code='),
    )!;
    expect(used).toBeDefined();
    await page.goto(used);
    await page.waitForURL((url) => url.href.startsWith(returnPage.url));
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({
      status: 'error',
      platform: 'tiktok',
      error: 'STATE_ALREADY_USED',
    });
    expect(await listAccounts()).toHaveLength(2);
  });
});
