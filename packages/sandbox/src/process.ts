import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (bind to 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** A background server process that is stopped by PID (SIGTERM, then SIGKILL). */
export class ManagedProcess {
  private exited = false;
  private output = '';

  constructor(readonly name: string, readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => this.append(d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => this.append(d));
    child.on('exit', () => (this.exited = true));
  }

  static start(name: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ManagedProcess {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    return new ManagedProcess(name, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** The last 64 KiB of the process's combined output (for error messages). */
  get log(): string {
    return this.output;
  }

  private append(d: string): void {
    this.output = (this.output + d).slice(-65536);
  }

  async stop(): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    const done = new Promise<void>((r) => this.child.once('exit', () => r()));
    try {
      process.kill(this.child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        if (this.child.pid !== undefined) process.kill(this.child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 3000);
    await done;
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns true or the timeout passes. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000, proc?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc && !proc.alive) throw new Error(`${what}: process exited early:\n${proc.log}`);
    try {
      if (await check()) return;
    } catch {
      /* not ready */
    }
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms${proc ? `\n${proc.log}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts `server` listening on 127.0.0.1 on a free port and returns the port. */
export async function listenLoopback(server: import('node:net').Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (!addr || typeof addr !== 'object') throw new Error('server has no TCP address');
  return addr.port;
}
