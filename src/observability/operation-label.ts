/**
 * Operation names as metric labels, bounded: a client chooses operation names, so each new name may not add a
 * series forever. Configured names always keep their own label; the first `max` other names seen get one too;
 * every later name is `other`. Anonymous operations are `anonymous`.
 */
export interface OperationLabels {
  /** The label for an operation name (undefined or '' for an anonymous operation). */
  labelFor(name: string | null | undefined): string;
}

export function createOperationLabels(options: { names: readonly string[]; max: number }): OperationLabels {
  const allowed = new Set(options.names);
  const seen = new Set<string>();
  return {
    labelFor(name) {
      if (!name) return 'anonymous';
      if (allowed.has(name) || seen.has(name)) return name;
      if (seen.size >= options.max) return 'other';
      seen.add(name);
      return name;
    },
  };
}
