/**
 * Poll `check` (which may be async: each check is awaited before the next) until it gives a value (not
 * undefined/false) or `timeoutMs` passes; the error names `what`.
 */
export async function until<T>(what: string, check: () => T | undefined | false | PromiseLike<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
