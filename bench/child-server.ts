/**
 * A benchmark server in its own process (`bench/servers/*.ts`, through tsx): it prints its port
 * on stdout once listening, and exits on SIGTERM. Optionally CPU-profiled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const servers = path.join(path.dirname(fileURLToPath(import.meta.url)), 'servers');

/** Starts `servers/<script>` with `args`; resolves once it prints its port. */
export function startServer(script: string, args: string[], cpuProfDir?: string): Promise<{ child: ChildProcess; port: number }> {
  const profile = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', path.join(servers, script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve({ child, port: Number(chunk.toString().trim()) }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

/** Stops a server started by {@link startServer} and waits for it to exit. */
export async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
