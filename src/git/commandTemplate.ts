/**
 * The `command` rollback strategy's argv template (e.g. `["./scripts/deploy.sh", "${previousRef}"]`), pure.
 *
 * Each `${name}` is replaced inside the one argument that holds it, so a value can never become two arguments
 * or reach a shell: the result is run as an argv (a VS Code ProcessExecution task, or {@link runArgv}) with no
 * shell in between. Values are also restricted to characters no shell treats specially, because the deploy
 * script on the other end may itself be careless with its arguments.
 */

/** The placeholders a template may use. */
export const COMMAND_PLACEHOLDERS = [
  'ref',
  'sha',
  'previousRef',
  'previousSha',
  'incidentId',
  'branch',
  'remote',
  'environmentBranch',
] as const;
export type CommandPlaceholder = (typeof COMMAND_PLACEHOLDERS)[number];
export type CommandVariables = Partial<Record<CommandPlaceholder, string>>;

/** What each placeholder stands for, for settings documentation and error messages. */
export const PLACEHOLDER_HELP: Readonly<Record<CommandPlaceholder, string>> = {
  ref: 'the deploy being rolled back (tag name, or commit id for a deploy-branch commit)',
  sha: "the deploy's commit id",
  previousRef: 'the deploy to go back to (tag name, or commit id)',
  previousSha: "the previous deploy's commit id",
  incidentId: 'the incident id, e.g. INC-7',
  branch: 'the deploy branch (incidentRoom.deploys.deployBranch)',
  remote: 'the remote (incidentRoom.rollback.remote)',
  environmentBranch: 'the environment branch (incidentRoom.rollback.environmentBranch)',
};

export type SubstitutionResult = { ok: true; argv: string[]; used: CommandPlaceholder[] } | { ok: false; problems: string[] };

/** Shells and other programs that would interpret an argument as code. */
const INTERPRETERS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'fish', 'csh', 'tcsh', 'cmd', 'powershell', 'pwsh', 'eval', 'xargs']);

/** A substituted value: starts with a letter or digit, then only `[A-Za-z0-9._/@+=,:-]`. */
export const SAFE_VALUE = /^[A-Za-z0-9][A-Za-z0-9._/@+=,:-]*$/;

const MAX_ARGS = 64;
const MAX_ARG_LENGTH = 4096;
const PLACEHOLDER = /\$\{([^}]*)\}/g;

const isPlaceholder = (name: string): name is CommandPlaceholder => (COMMAND_PLACEHOLDERS as readonly string[]).includes(name);

function programName(arg: string): string {
  const base = arg.split(/[\\/]/).pop() ?? arg;
  return base.toLowerCase().replace(/\.(exe|cmd|bat)$/, '');
}

/**
 * Substitute `vars` into `template`. Refuses (with every problem listed) on: a template that is not a non-empty
 * list of strings, an unknown placeholder, `$name` written without braces, an unclosed `${`, a placeholder in
 * the program itself or anywhere after a shell/interpreter, a placeholder whose value is missing or unsafe. `what`
 * names the command in the problems ("rollback command", or a prepared mitigation's).
 */
export function substituteCommand(template: unknown, vars: CommandVariables, what = 'rollback command'): SubstitutionResult {
  const problems: string[] = [];
  if (!Array.isArray(template) || template.length === 0) {
    const where = what === 'rollback command' ? 'incidentRoom.rollback.command' : `The ${what}`;
    return { ok: false, problems: [`No ${what} is configured (${where} must be a non-empty list of arguments).`] };
  }
  if (template.length > MAX_ARGS) problems.push(`The ${what} has more than ${MAX_ARGS} arguments.`);
  const used = new Set<CommandPlaceholder>();
  let interpreterAt = -1;
  const argv: string[] = [];
  template.forEach((arg: unknown, i: number) => {
    if (typeof arg !== 'string') {
      problems.push(`Argument ${i + 1} of the ${what} is not a string.`);
      return;
    }
    if (arg.length > MAX_ARG_LENGTH || arg.includes('\0')) {
      problems.push(`Argument ${i + 1} of the ${what} is too long or holds a NUL character.`);
      return;
    }
    if (i === 0 && arg.trim() === '') problems.push(`The ${what} has no program.`);
    const names = [...arg.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
    const rest = arg.replace(PLACEHOLDER, '');
    if (rest.includes('${')) problems.push(`Argument ${i + 1} has an unclosed "\${": ${JSON.stringify(arg)}.`);
    for (const bare of rest.matchAll(/\$([A-Za-z]+)/g)) {
      if (isPlaceholder(bare[1] ?? '')) problems.push(`Write \${${bare[1]}} with braces (argument ${i + 1}); "$${bare[1]}" would be passed literally.`);
    }
    for (const name of names) {
      if (!isPlaceholder(name)) {
        problems.push(`Unknown placeholder \${${name}} in argument ${i + 1}; known: ${COMMAND_PLACEHOLDERS.map((p) => `\${${p}}`).join(' ')}.`);
        continue;
      }
      used.add(name);
      if (i === 0) problems.push(`The program (argument 1) cannot contain a placeholder (\${${name}}).`);
      else if (interpreterAt >= 0) {
        problems.push(
          `\${${name}} would be substituted into a command line that ${JSON.stringify(template[interpreterAt])} interprets; call your script directly, e.g. ["./deploy.sh", "\${${name}}"].`,
        );
      }
    }
    if (INTERPRETERS.has(programName(arg)) && interpreterAt < 0) interpreterAt = i;
    argv.push(
      arg.replace(PLACEHOLDER, (whole, name: string) => {
        if (!isPlaceholder(name)) return whole;
        const value = vars[name];
        if (value === undefined || value === '') {
          problems.push(`\${${name}} has no value here: ${PLACEHOLDER_HELP[name]} is not known.`);
          return whole;
        }
        if (!SAFE_VALUE.test(value)) {
          problems.push(`Refusing to pass ${JSON.stringify(value)} as \${${name}}: it holds characters that are unsafe in a command argument.`);
          return whole;
        }
        return value;
      }),
    );
  });
  const unique = [...new Set(problems)];
  if (unique.length > 0) return { ok: false, problems: unique };
  return { ok: true, argv, used: [...used] };
}
