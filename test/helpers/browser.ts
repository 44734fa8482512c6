import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Browser tests drive Debian's Chromium (`apt-get install -y chromium`; .ci/run installs it when missing)
 * through playwright-core, which downloads no browser of its own. Where none is installed they are skipped,
 * and the skipped test's name says why.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const browserMissing: string | null = fs.existsSync(CHROMIUM_PATH)
  ? null
  : `no Chromium at ${CHROMIUM_PATH}: install it with "apt-get install -y chromium" (Debian's package) or set CHROMIUM_PATH`;

/**
 * The background-networking, component-update and sync switches keep Chromium from calling Google's hosts
 * at start (refused on machines without internet, and noise anywhere); --no-sandbox because tests run as root.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** `describe` where Chromium is installed; elsewhere one skipped test named with the reason. */
export function describeInBrowser(name: string, body: () => void): void {
  if (!browserMissing) {
    describe(name, body);
    return;
  }
  process.stderr.write(`[browser tests] skipped "${name}": ${browserMissing}\n`);
  describe(name, () => it.skip(`skipped: ${browserMissing}`, () => undefined));
}
