/**
 * `cogzy`: Cogzy Vault as a device on the command line and, with `cogzy mcp`, for other AI tools over the Model
 * Context Protocol. Every command takes --json; expected failures print the AppError's sentence (never a stack
 * trace) and exit with a code that says what kind of failure it was (EXIT_CODES).
 */
import { parseArgs } from 'node:util';
import { AppError, toAppError, type ErrorCode } from '../errors';
import { COMMANDS } from './commands';

export const EXIT_CODES = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** Not signed in, session expired, wrong email or password. */
  signedOut: 3,
  /** No vault key here, or a wrong passphrase / recovery code. */
  locked: 4,
  offline: 5,
  /** The sync needs a person: conflicts, a reset vault, a wrong clock, a full vault. */
  syncAttention: 6,
  notFound: 7,
} as const;

const EXIT_OF: Partial<Record<ErrorCode, number>> = {
  CLI_USAGE: EXIT_CODES.usage,
  CLI_NO_INPUT: EXIT_CODES.usage,
  CLI_EMBEDDER_NOT_SET: EXIT_CODES.usage,
  CLI_NOT_SIGNED_IN: EXIT_CODES.signedOut,
  UNAUTHENTICATED: EXIT_CODES.signedOut,
  INVALID_CREDENTIALS: EXIT_CODES.signedOut,
  TOO_MANY_ATTEMPTS: EXIT_CODES.signedOut,
  CLI_VAULT_LOCKED: EXIT_CODES.locked,
  CLI_OTHER_ACCOUNTS_COPY: EXIT_CODES.signedOut,
  CLI_SYNC_NOT_SET_UP: EXIT_CODES.locked,
  CRYPTO_WRONG_PASSPHRASE: EXIT_CODES.locked,
  CRYPTO_WRONG_RECOVERY_CODE: EXIT_CODES.locked,
  SYNC_WRONG_VAULT_KEY: EXIT_CODES.locked,
  OFFLINE: EXIT_CODES.offline,
  SYNC_CONFLICT_UNRESOLVED: EXIT_CODES.syncAttention,
  SYNC_VAULT_RESET: EXIT_CODES.syncAttention,
  SYNC_CLOCK_SKEW: EXIT_CODES.syncAttention,
  VAULT_FULL: EXIT_CODES.syncAttention,
  NOT_FOUND: EXIT_CODES.notFound,
};

export const HELP = `cogzy: your Cogzy Vault on this computer, and for your AI tools (MCP)

  cogzy login [--server URL] [--email EMAIL] [--stdin]   sign in (password typed, piped with --stdin, or COGZY_PASSWORD)
  cogzy unlock [--recovery-code] [--stdin] [--print-env] unlock the vault (passphrase or recovery code; COGZY_PASSPHRASE,
                                                         COGZY_RECOVERY_CODE); --print-env prints COGZY_VAULT_KEY instead of keeping a key file
  cogzy logout --keep | --wipe [--yes]                   sign out; deletes the session, the vault key and config.json, and
                                                         keeps (--keep) or deletes (--wipe) this computer's copy of the vault
  cogzy sync | pull | push                               one sync with the app's engine (it always pulls, then pushes)
  cogzy status                                           account, lock state, local copy and what waits to be pushed
  cogzy reset [--yes]                                    rebuild the local copy from the cloud
  cogzy import FILE... [--no-push] [--no-embed]          import exports (any size) into the local copy, then push
                                                         (with an embedding service set, their exchanges get vectors first)
  cogzy search "WORDS" [--mode keyword|semantic|hybrid] [--limit N] [--provider P]... [--from DATE] [--to DATE]
  cogzy embed [--no-push]                                vectors for every exchange that has none, with the service set below
  cogzy config [--embed-url URL --embed-model NAME] [--embed-dimensions N] [--embed-key [--stdin]] [--embed-off]
                                                         the embedding service for search by meaning (or COGZY_EMBED_URL,
                                                         COGZY_EMBED_MODEL, COGZY_EMBED_KEY, COGZY_EMBED_DIMENSIONS)
  cogzy show ID [--start N] [--end N]                    a conversation (by its id or one of its exchange ids)
  cogzy export --format md|json DIR                      Markdown files per conversation, or the JSON backup
  cogzy mcp [--pull-every SECONDS]                       MCP server on stdio for Claude Desktop, Claude Code, Cursor...

Every command takes --json. State lives in $COGZY_HOME (default $XDG_CONFIG_HOME/cogzy or ~/.config/cogzy).
Exit codes: 0 ok, 1 failed, 2 usage, 3 not signed in, 4 vault locked, 5 offline, 6 sync needs you, 7 not found.
`;

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      server: { type: 'string' },
      email: { type: 'string' },
      stdin: { type: 'boolean' },
      'recovery-code': { type: 'boolean' },
      'print-env': { type: 'boolean' },
      yes: { type: 'boolean' },
      keep: { type: 'boolean' },
      wipe: { type: 'boolean' },
      'no-push': { type: 'boolean' },
      'no-embed': { type: 'boolean' },
      mode: { type: 'string' },
      'embed-url': { type: 'string' },
      'embed-model': { type: 'string' },
      'embed-dimensions': { type: 'string' },
      'embed-key': { type: 'boolean' },
      'embed-off': { type: 'boolean' },
      limit: { type: 'string' },
      provider: { type: 'string', multiple: true },
      from: { type: 'string' },
      to: { type: 'string' },
      start: { type: 'string' },
      end: { type: 'string' },
      format: { type: 'string' },
      'pull-every': { type: 'string' },
    },
  });
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const fail = (error: AppError): number => {
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: error.toData() })}\n`);
    else process.stderr.write(`${error.message}${error.detail ? `\n  (${error.detail})` : ''}\n`);
    return EXIT_OF[error.code] ?? EXIT_CODES.failure;
  };
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    return fail(new AppError('CLI_USAGE', { detail: error instanceof Error ? error.message : String(error) }));
  }
  const [command, ...positionals] = parsed.positionals;
  if (command === undefined || command === 'help' || parsed.values.help === true) {
    process.stdout.write(HELP);
    return command === undefined && parsed.values.help !== true ? EXIT_CODES.usage : EXIT_CODES.ok;
  }
  try {
    if (command === 'mcp') {
      const { runMcpServer } = await import('./mcp-server');
      await runMcpServer({ pullEverySeconds: parsed.values['pull-every'] === undefined ? undefined : Number(parsed.values['pull-every']) });
      return EXIT_CODES.ok;
    }
    const run = COMMANDS[command];
    if (run === undefined) throw new AppError('CLI_USAGE', { detail: `no command "${command}"` });
    const result = await run({ positionals, flags: parsed.values });
    process.stdout.write(json ? `${JSON.stringify({ ok: true, ...result.json })}\n` : `${result.text}\n`);
    return EXIT_CODES.ok;
  } catch (error) {
    const appError = toAppError(error);
    // Only a failure nobody expected (INTERNAL from a thrown platform error) shows where it came from, and only on request.
    if (appError.code === 'INTERNAL' && process.env.COGZY_DEBUG) process.stderr.write(`${error instanceof Error ? (error.stack ?? '') : ''}\n`);
    return fail(appError);
  }
}
