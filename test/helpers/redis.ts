import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port below the kernel's ephemeral range (redis-server cannot pick one itself). Below it, because a
 * client reconnecting in a tight loop to a dead port inside that range can end up connected to itself and
 * hold the port, and the restarted redis-server could then not bind it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port in 20000-29999');
}

/** A throwaway redis-server on loopback, no persistence. */
export async function startRedis(binary: string, port?: number) {
  port ??= await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited ${code}:\n${output}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  return { url: `redis://127.0.0.1:${port}`, port, kill, [Symbol.asyncDispose]: kill };
}

/** Keys in redis, read with a raw RESP KEYS command over a socket: no client library between test and server. */
export function redisKeys(port: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('*2\r\n$4\r\nKEYS\r\n$1\r\n*\r\n'));
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString();
      const count = Number(/^\*(\d+)\r\n/.exec(data)?.[1] ?? NaN);
      const keys = [...data.matchAll(/\$\d+\r\n([^\r]*)\r\n/g)].map((m) => m[1]!);
      if (keys.length === count) {
        socket.end();
        resolve(keys);
      }
    });
    socket.on('error', reject);
  });
}
