// Launches Debian's Chromium headless through playwright-core (never a downloaded browser).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM_FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--no-first-run", "--disable-sync", "--disable-quic",
];

export async function launchChromium() {
  const userDataDir = mkdtempSync(join(tmpdir(), "eric-sse-chromium-"));
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_FLAGS,
  });
}
