/**
 * Secrets for the command line: from the environment, piped on stdin (`--stdin`), or typed at a terminal without
 * echo. Never from a flag's value, which would land in shell history and `ps`.
 */
import { AppError } from '../errors';

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function readHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = process.stdin;
    process.stderr.write(question);
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    let value = '';
    const done = (error: AppError | null) => {
      input.setRawMode(false);
      input.pause();
      input.removeListener('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (text: string) => {
      for (const char of text) {
        if (char === '\r' || char === '\n') return done(null);
        // Ctrl-C / Ctrl-D: give up without a secret.
        if (char === '\u0003' || char === '\u0004') return done(new AppError('CLI_NO_INPUT', { detail: 'cancelled at the prompt' }));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    input.on('data', onData);
  });
}

/** The secret named `envName`, else stdin when `fromStdin`, else a hidden prompt at a terminal. */
export async function secret(question: string, envName: string, fromStdin: boolean): Promise<string> {
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  if (fromStdin) return readAllStdin();
  if (!process.stdin.isTTY) throw new AppError('CLI_NO_INPUT', { detail: `${envName} is not set` });
  return readHidden(question);
}

/** A visible answer (an email address) from the environment or the terminal. */
export async function visible(question: string, envName: string): Promise<string> {
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY) throw new AppError('CLI_NO_INPUT', { detail: `${envName} is not set` });
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/** A one-letter choice at a terminal (`k` / `w`…); null without a terminal, so the caller asks for a flag instead. */
export async function choose<T extends string>(question: string, answers: Record<string, T>): Promise<T | null> {
  if (!process.stdin.isTTY) return null;
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    for (;;) {
      const answer = answers[(await rl.question(question)).trim().toLowerCase().slice(0, 1)];
      if (answer !== undefined) return answer;
    }
  } finally {
    rl.close();
  }
}
