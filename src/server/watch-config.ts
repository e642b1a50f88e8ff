import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { isBootError } from '../errors.js';
import type { Logger } from '../observability/logger.js';

export interface ConfigWatchOptions {
  /** The config file; its directory is watched, since editors replace files rather than write them in place. */
  file: string;
  /** Loads and applies the file; throws (a boot error) when it is invalid, leaving the running config alone. */
  reload: () => Promise<void>;
  logger: Logger;
  /** Milliseconds of quiet after the last change before reloading: an editor's save is several events. Default 200. */
  debounceMs?: number;
}

/**
 * Hot reload: the config file is reloaded when it changes and on SIGHUP. A bad config is logged with every
 * problem and changes nothing; a good one is swapped in by the gateway, in-flight requests finishing on the old.
 * Reloads never overlap: a change during a reload triggers one more afterwards.
 */
export function watchConfig(options: ConfigWatchOptions): Disposable {
  const { logger } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  async function reloadNow(reason: string): Promise<void> {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      try {
        await options.reload();
        process.stdout.write(`Interchange reloaded ${options.file}\n`);
      } catch (error) {
        const message = isBootError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
        logger.error({ file: options.file, reason }, `reload failed, keeping the running configuration: ${message}`);
        process.stderr.write(`interchange: reload of ${options.file} failed, keeping the running configuration\n${message}\n`);
      }
    })();
    await running;
    running = undefined;
    if (again) {
      again = false;
      await reloadNow('changed during reload');
    }
  }

  const schedule = (reason: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => void reloadNow(reason), options.debounceMs ?? 200);
  };
  const name = basename(options.file);
  const watcher: FSWatcher = watch(dirname(options.file), (_event, changed) => {
    if (changed === null || changed === name) schedule('file changed');
  });
  const onHangup = () => void reloadNow('SIGHUP');
  process.on('SIGHUP', onHangup);
  return {
    [Symbol.dispose]() {
      clearTimeout(timer);
      watcher.close();
      process.off('SIGHUP', onHangup);
    },
  };
}
