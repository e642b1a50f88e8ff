/**
 * Operation names as metric labels, bounded: a client chooses operation names, so no name a client sends may
 * add a series. Only names the operator chose get a label of their own: those listed in the config, and those of
 * the trusted documents (at most `max` of them, in file order); every other name is `other`, an operation
 * without a name `anonymous`. A name is a label only when it is a GraphQL name of at most 100 characters.
 */
export interface OperationLabels {
  /** The label for the name of an operation that ran (undefined or '' for an anonymous operation). */
  labelFor(name: string | null | undefined): string;
}

export interface OperationLabelOptions {
  /** `telemetry.operationNames`: always a label of their own. */
  names: readonly string[];
  /** Names of the operations in the trusted documents (`server.trustedDocuments`), when there are any. Default none. */
  fromDocuments?: Iterable<string>;
  /** `telemetry.maxOperationNames`: how many of `fromDocuments` get a label. */
  max: number;
}

/** The longest name used as a label. */
export const MAX_LABEL_LENGTH = 100;

const isLabel = (name: string) => name.length <= MAX_LABEL_LENGTH && /^[_A-Za-z][_0-9A-Za-z]*$/.test(name);

export function createOperationLabels(options: OperationLabelOptions): OperationLabels {
  const allowed = new Set(options.names.filter(isLabel));
  let admitted = 0;
  for (const name of options.fromDocuments ?? []) {
    if (admitted >= options.max) break;
    if (!isLabel(name) || allowed.has(name)) continue;
    allowed.add(name);
    admitted++;
  }
  return {
    labelFor(name) {
      if (!name) return 'anonymous';
      return allowed.has(name) ? name : 'other';
    },
  };
}
