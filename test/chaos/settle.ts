// The chaos runs' settle step: after the faults stop, wait until nothing owed is missing.
// Only a delivery can lower what is outstanding, so each delivery schedules one check
// (coalesced per tick) instead of polling.

/** Resolves true once `outstanding()` is 0, false after `timeoutMs`. `onDelivery` receives the hook to call per delivery (undefined once settled). */
export function settleDeliveries(
  outstanding: () => number,
  timeoutMs: number,
  onDelivery: (hook: (() => void) | undefined) => void,
): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let pending = false;
    const timer = setTimeout(() => finish(false), timeoutMs);
    function finish(ok: boolean): void {
      clearTimeout(timer);
      onDelivery(undefined);
      resolve(ok);
    }
    const check = (): void => {
      pending = false;
      if (outstanding() === 0) finish(true);
    };
    onDelivery(() => {
      if (!pending) {
        pending = true;
        setImmediate(check);
      }
    });
    check();
  });
}
