/**
 * `instanceof` for the error classes that cross a lazy chunk's edge. The extension and each lazy chunk
 * (scripts/lazyChunks.mjs) carry their own copy of a shared module, so an error thrown by one copy is not, by
 * prototype, an instance of the other copy's class. Such a class brands its instances with a registered symbol and
 * answers `instanceof` by the brand (`static [Symbol.hasInstance]`), so every copy recognises every copy's errors,
 * while an unrelated error that merely has the same `name` is not one of them.
 */
export function brand(instance: object, className: string): void {
  Object.defineProperty(instance, Symbol.for(`incident-room:${className}`), { value: true });
}

export function hasBrand(value: unknown, className: string): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[Symbol.for(`incident-room:${className}`)] === true;
}
