// A real browser for tests: Debian's chromium driven by playwright-core (which never downloads one), every request recorded.

import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";

/** The browser the tests drive: `$CHROMIUM`, else Debian's. */
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/**
 * Whether the browser tests can run. Without chromium they are skipped, except where CHAT_REQUIRE_CHROMIUM is set
 * (.ci/run sets it, after installing chromium): there a missing browser fails loudly instead of passing by skipping.
 */
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CHAT_REQUIRE_CHROMIUM)
  throw new Error(`${CHROMIUM} is missing: the browser tests need it (apt-get install chromium)`);
if (!hasChromium) console.warn(`${CHROMIUM} is missing: the browser tests are skipped`);

export interface PageOptions {
  /** navigator.language: "zh-CN" shows the room's lines in Chinese. */
  locale?: string;
  viewport?: { width: number; height: number };
  /** Device pixels per CSS pixel: 2 draws as a phone's screen does. */
  scale?: number;
}

/** A chromium launched by a test's first page, each page in a context of its own; `close` (in afterEach) ends it. */
export class Browsers {
  #browser: Browser | undefined;
  /** Every URL any page asked for: documents, scripts, styles, images, WebSockets. */
  readonly requests: string[] = [];
  /** Every dialog (alert, confirm, prompt) a page opened: dismissed, and kept here for the tests to see. */
  readonly dialogs: string[] = [];
  /** Uncaught errors of the pages' scripts. */
  readonly errors: string[] = [];

  async page(url: string, opts: PageOptions = {}): Promise<Page> {
    this.#browser ??= await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    const context = await this.#browser.newContext({
      locale: opts.locale ?? "en-US",
      viewport: opts.viewport ?? { width: 1000, height: 700 },
      deviceScaleFactor: opts.scale ?? 1,
    });
    context.on("request", (request) => void this.requests.push(request.url()));
    const page = await context.newPage();
    page.on("websocket", (ws) => void this.requests.push(ws.url()));
    page.on("dialog", (dialog) => {
      this.dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on("pageerror", (err) => void this.errors.push(String(err)));
    await page.goto(url);
    return page;
  }

  /** Ends every page and the browser, even one already gone (a timed-out test's processes are killed by bun test). */
  async close(): Promise<void> {
    const browser = this.#browser;
    this.#browser = undefined;
    await browser?.close().catch((err: unknown) => console.warn(`the browser had gone already: ${String(err)}`));
    this.requests.length = 0;
    this.dialogs.length = 0;
    this.errors.length = 0;
  }
}

/** Logs in from the page as `name`: fills the form labelled Name and presses Join (in the page's language: `words`). */
export async function login(
  page: Page,
  name: string,
  words: { name: string; join: string } = { name: "Name", join: "Join" },
): Promise<void> {
  await page.getByLabel(words.name).fill(name);
  await page.getByRole("button", { name: words.join }).click();
}

/** Types a line into the message box and presses Enter, as a person does. */
export async function typeLine(page: Page, text: string): Promise<void> {
  const box = page.getByLabel("Message");
  await box.fill(text);
  await box.press("Enter");
}

/** The transcript's lines, each its text as a terminal member sees it (without time). */
export const transcript = (page: Page): Promise<string[]> =>
  page
    .getByRole("log")
    .locator(":scope > li")
    .evaluateAll((items) => items.map((i) => i.textContent ?? ""));

/** Waits until the transcript has a line exactly `text` (polled, with a deadline); resolves to the lines then. */
export async function waitForLine(page: Page, text: string, ms = 5000): Promise<string[]> {
  return waitFor(page, (lines) => lines.includes(text), `a line ${JSON.stringify(text)}`, ms);
}

/** Waits until the transcript's lines pass `check`; fails after `ms` showing them. */
export async function waitFor(page: Page, check: (lines: string[]) => boolean, what: string, ms = 5000): Promise<string[]> {
  const deadline = performance.now() + ms;
  for (;;) {
    const lines = await transcript(page);
    if (check(lines)) return lines;
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; the transcript:\n${lines.join("\n")}`);
    await Bun.sleep(20);
  }
}

/** Waits until the element of `role` says `text` (its whole text, or a match). */
export async function waitForRole(page: Page, role: "status" | "alert", text: string | RegExp, ms = 5000): Promise<string> {
  const deadline = performance.now() + ms;
  for (;;) {
    const said = (await page.getByRole(role).textContent()) ?? "";
    if (typeof text === "string" ? said === text : text.test(said)) return said;
    if (performance.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for role ${role} to say ${String(text)}; it says ${JSON.stringify(said)}`);
    await Bun.sleep(20);
  }
}
