import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium, headless, with the flags this sandboxed, offline machine needs (without the
 * background-networking ones Chromium keeps trying to reach Google). Playwright gives it a fresh profile.
 */
export async function launchChromium(executablePath: string): Promise<Browser & AsyncDisposable> {
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}
