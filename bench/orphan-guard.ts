/**
 * A bench child whose parent died without stopping it (SIGKILL, a crash) stops itself: the parent pid changes
 * when the process is re-parented, checked once a second.
 */
export function exitWhenOrphaned(stop: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(function checkParent() {
    if (process.ppid !== parent) {
      clearInterval(timer);
      stop();
    }
  }, 1_000);
  timer.unref();
}
