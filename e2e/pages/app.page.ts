/** The whole window: opening it, the theme, the status bar, screenshots. */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { SCREENSHOTS } from '../support/browser.js';

export type Theme = 'light' | 'dark';

export class AppPage {
  constructor(readonly page: Page) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.locator('.vg-topbar').waitFor();
  }

  async theme(): Promise<Theme> {
    return (await this.page.evaluate(() => document.documentElement.dataset['theme'])) as Theme;
  }

  /** Switches with the `t` shortcut until the page is in `theme`. */
  async setTheme(theme: Theme): Promise<void> {
    for (let i = 0; i < 2 && (await this.theme()) !== theme; i++) {
      await this.page.locator('body').press('t');
    }
    if ((await this.theme()) !== theme) throw new Error(`theme did not switch to ${theme}`);
  }

  stackName() {
    return this.page.locator('.vg-stack');
  }

  systemState() {
    return this.page.getByTestId('system-state');
  }

  connection() {
    return this.page.getByTestId('connection');
  }

  async showTimeline(): Promise<void> {
    await this.page.getByRole('tab', { name: /Healing timeline/ }).click();
    await this.page.getByTestId('timeline').waitFor();
  }

  async showGraph(): Promise<void> {
    await this.page.getByRole('tab', { name: 'Graph' }).click();
    await this.page.getByTestId('graph').waitFor();
  }

  async screenshot(name: string): Promise<string> {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const file = path.join(SCREENSHOTS, `${name}.png`);
    // let charts and transitions settle
    await this.page.waitForTimeout(400);
    await this.page.screenshot({ path: file });
    return file;
  }
}
