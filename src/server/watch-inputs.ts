import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface InputWatchOptions {
  /** The files and directories to watch; asked again at every `refresh()`, so the set follows the config. */
  inputs: () => { files: readonly string[]; directories: readonly string[] };
  /** Called after `debounceMs()` of quiet following the last change of a watched input. */
  onChange: (changed: string) => void;
  /** Default 200. */
  debounceMs?: () => number;
}

export interface InputWatcher extends Disposable {
  /** Watches what `inputs()` names now (after a reload that added or removed files). */
  refresh(): void;
}

/**
 * Watches every input of the config: the config file, every spec, proto, SDL and links file it names, and the
 * directories it names (gRPC include dirs). Each file's directory is watched rather than the file, since editors
 * replace files (write a copy, rename it over) rather than write them in place; a directory watcher sees both.
 * Several events of one save are one change after `debounceMs` of quiet.
 */
export function watchInputs(options: InputWatchOptions): InputWatcher {
  const watchers = new Map<string, FSWatcher>();
  /** Per watched directory: the names in it that are inputs, or null for "any file" (a named directory). */
  let wanted = new Map<string, Set<string> | null>();
  let timer: NodeJS.Timeout | undefined;
  let last = '';
  const schedule = (changed: string) => {
    last = changed;
    clearTimeout(timer);
    timer = setTimeout(() => options.onChange(last), options.debounceMs?.() ?? 200);
    timer.unref();
  };

  function refresh(): void {
    const { files, directories } = options.inputs();
    const next = new Map<string, Set<string> | null>();
    for (const directory of directories) next.set(directory, null);
    for (const file of files) {
      const dir = dirname(file);
      const names = next.get(dir);
      if (names === null) continue;
      if (names) names.add(basename(file));
      else next.set(dir, new Set([basename(file)]));
    }
    wanted = next;
    for (const [dir, watcher] of watchers) {
      if (!next.has(dir)) {
        watcher.close();
        watchers.delete(dir);
      }
    }
    for (const dir of next.keys()) {
      if (watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, (_event, name) => {
          const names = wanted.get(dir);
          if (names === undefined) return;
          if (names === null || name === null || names.has(name)) schedule(name === null ? dir : `${dir}/${name}`);
        });
        watcher.on('error', () => watchers.delete(dir));
        watchers.set(dir, watcher);
      } catch {
        // A directory that does not exist (yet): the config check reports the missing file; nothing to watch.
      }
    }
  }

  refresh();
  return {
    refresh,
    [Symbol.dispose]() {
      clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
