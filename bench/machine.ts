/** What the figures were measured on: CPU, memory, load, browser. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';

export interface Machine {
  /** `nproc`: CPUs this process may use. */
  nproc: number;
  cpuModel: string;
  memGiB: number;
  os: string;
}

export function machine(): Machine {
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {
    /* keep os.cpus() */
  }
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
  } catch {
    /* not Linux */
  }
  let os = `${process.platform} ${process.arch}`;
  try {
    os = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {
    /* keep platform */
  }
  return { nproc, cpuModel, memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, os };
}

/** 1, 5 and 15-minute load averages, rounded. */
export const load = (): number[] => loadavg().map((x) => Math.round(x * 100) / 100);

/**
 * Waits (polling every 15 s) until the 1-minute load average is under `max`, at most `minutes`; returns the
 * load it started with. `max` 0: no wait.
 */
export async function waitForQuiet(max: number, minutes: number, log: (s: string) => void): Promise<number[]> {
  const deadline = Date.now() + minutes * 60_000;
  let l = load();
  while (max > 0 && l[0]! >= max && Date.now() < deadline) {
    log(`load ${l.join(' ')} ≥ ${max}: waiting`);
    await new Promise((ok) => setTimeout(ok, 15_000));
    l = load();
  }
  return l;
}
