import { execFileSync, spawn } from 'node:child_process';

/** Runs kcat (librdkafka) to completion and returns its stdout; rejects on a non-zero exit or after `timeoutMs`. */
export function kcat(args: string[], input?: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kcat ${args.join(' ')} did not finish in ${timeoutMs} ms\n${err}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`kcat ${args.join(' ')} exited with ${code}\n${err}`));
    });
    child.stdin.end(input ?? '');
  });
}

/** The librdkafka version kcat is built with; throws with install advice when kcat is missing. */
export function librdkafkaVersion(): string {
  try {
    return /librdkafka ([\d.]+)/.exec(execFileSync('kcat', ['-V'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  } catch {
    throw new Error('kcat is required for the librdkafka conformance tests: apt-get install kcat (see DEVELOPERS.md)');
  }
}
