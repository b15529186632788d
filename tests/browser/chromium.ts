/**
 * Headless Chromium for the browser tests: Debian's `chromium` driven by playwright-core, with
 * keyboard helpers and screenshots kept under test-artifacts/browser/. A missing Chromium fails
 * the tests (CI installs it in .ci/run); nothing here skips.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The flags CI runs Chromium with (no sandbox inside a container, nothing calling home). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Where screenshots go: `test-artifacts/browser/` at the repository's root. */
export const ARTIFACTS_DIR = path.resolve(fileURLToPath(new URL('../../test-artifacts/browser', import.meta.url)));

/** Starts Chromium, or fails with what to install. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH}: the browser tests need Debian's chromium package ` +
        '(apt-get update && apt-get install -y chromium; .ci/run installs it when missing)',
    );
  }
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** Saves a full-page screenshot as `<name>.png` under {@link ARTIFACTS_DIR}; returns its path. */
export async function screenshot(page: Page, name: string, extraPath?: string): Promise<string> {
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (extraPath) await page.screenshot({ path: extraPath, fullPage: true });
  return file;
}

/**
 * The few DOM names these helpers use inside `page.evaluate` (run in the page, not here): the
 * project compiles without lib "dom", so they are declared here and reached through globalThis.
 */
interface PageElement {
  tagName: string;
  id: string;
  textContent: string | null;
  matches(selector: string): boolean;
}
interface PageWindow {
  document: { activeElement: PageElement | null; body: PageElement | null };
  getComputedStyle(element: PageElement): { outlineStyle: string; outlineWidth: string };
}

/** A short description of the focused element, for failure messages. */
function describeFocus(page: Page): Promise<string> {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as PageWindow;
    const element = document.activeElement;
    if (!element || element === document.body) return '(nothing)';
    const label = (element.textContent ?? '').trim().slice(0, 40);
    return `<${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''}> ${label}`;
  });
}

/**
 * Presses Tab until the focused element matches `selector` (as a person would reach it by
 * keyboard), at most `maxPresses` times; fails listing where focus went.
 */
export async function tabTo(page: Page, selector: string, maxPresses = 40): Promise<void> {
  const visited: string[] = [];
  for (let press = 0; press < maxPresses; press++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((wanted) => (globalThis as unknown as PageWindow).document.activeElement?.matches(wanted) ?? false, selector))
      return;
    visited.push(await describeFocus(page));
  }
  throw new Error(`Tab never reached ${selector} in ${maxPresses} presses; focus went to: ${visited.join(' → ')}`);
}

/** The focused element's outline (style and width): focus must be visible. */
export function focusOutline(page: Page): Promise<{ style: string; width: string }> {
  return page.evaluate(() => {
    const window = globalThis as unknown as PageWindow;
    const element = window.document.activeElement;
    if (!element) return { style: 'none', width: '0px' };
    const style = window.getComputedStyle(element);
    return { style: style.outlineStyle, width: style.outlineWidth };
  });
}
