/**
 * `${NAME}` placeholders in a black-box target's strings, filled by the harness at run time:
 * the AMQP URLs and directories of the run, the Node binary running the harness, and any
 * `${<NAME>_PORT}`: a free port chosen once per run, the same in every string that names it.
 */

export const FIXED_PLACEHOLDERS = [
  'AMQP_PUBLISH_URL',
  'AMQP_CONSUME_URL',
  // With --cluster: every node's URL through its own proxy, comma-separated (one URL on a single broker).
  'AMQP_PUBLISH_URLS',
  'AMQP_CONSUME_URLS',
  'DATA_DIR',
  'HISTORY_DIR',
  'RUN_DIR',
  'TARGET_DIR',
  'NODE',
] as const;
const PLACEHOLDER = /\$\{([^}]*)\}/g;
const PORT_NAME = /^[A-Z][A-Z0-9_]*_PORT$/;

export class UnknownPlaceholderError extends Error {
  override readonly name = 'UnknownPlaceholderError';
}

/** The placeholder names in `text`, checked: an unknown one is an error naming `where` and what is known. */
export function placeholdersIn(text: string, where: string): string[] {
  const names = [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  for (const name of names) {
    if (!(FIXED_PLACEHOLDERS as readonly string[]).includes(name) && !PORT_NAME.test(name)) {
      throw new UnknownPlaceholderError(
        `${where}: unknown placeholder \${${name}}; ` +
          `expected one of ${FIXED_PLACEHOLDERS.map((n) => `\${${n}}`).join(', ')} or \${<NAME>_PORT}`,
      );
    }
  }
  return names;
}

export const isPortPlaceholder = (name: string): boolean => PORT_NAME.test(name);

/** Replaces every placeholder; one without a value is a bug of the caller (names were checked at load). */
export function fillPlaceholders(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new UnknownPlaceholderError(`no value for \${${name}} in ${JSON.stringify(text)}`);
    return value;
  });
}
