/**
 * Abort controllers that follow a parent signal (the client's request) with one listener on the parent however
 * many calls hang off it. A listener per call piled up on the request's one signal (a list of 20 linked items is
 * 20 calls at once) and set off Node's MaxListenersExceededWarning under load; `AbortSignal.any` avoids the
 * listeners but made a signal, weak references and a finalizer per call, a few percent of the gateway's CPU.
 */
const childrenOf = new WeakMap<AbortSignal, Set<AbortController>>();

function abortChildren(this: AbortSignal): void {
  const children = childrenOf.get(this);
  if (!children) return;
  childrenOf.delete(this);
  for (const child of children) child.abort(this.reason);
}

/** A controller aborted with the parent's reason when the parent aborts; `unlink()` once the call is over. */
export function linkedAbortController(parent: AbortSignal): { readonly controller: AbortController; unlink(): void } {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, unlink: () => undefined };
  }
  let children = childrenOf.get(parent);
  if (!children) {
    children = new Set();
    childrenOf.set(parent, children);
    parent.addEventListener('abort', abortChildren, { once: true });
  }
  children.add(controller);
  const siblings = children;
  return { controller, unlink: () => void siblings.delete(controller) };
}
