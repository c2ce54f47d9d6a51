// Parsing and printing HOST:PORT, the form every address takes on the command line.

export interface HostPort {
  host: string;
  port: number;
}

/** A port number from the command line; `allowZero` for binding ("pick a free one"). Throws a one-line Error. */
export function parsePort(raw: string, allowZero = true): number {
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  const min = allowZero ? 0 : 1;
  if (!(port >= min && port <= 65535)) throw new Error(`invalid port ${JSON.stringify(raw)}: expected a number ${min}-65535`);
  return port;
}

/** "127.0.0.1:8888", "localhost:8888" or "[::1]:8888". Throws a one-line Error naming the bad value. */
export function parseHostPort(raw: string): HostPort {
  const bad = () => new Error(`invalid server address ${JSON.stringify(raw)}: expected HOST:PORT, e.g. 127.0.0.1:8888 or [::1]:8888`);
  const match = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(raw) ?? /^([^\s:[\]]+):(\d+)$/.exec(raw);
  if (!match) throw bad();
  const [, host, port] = match as unknown as [string, string, string];
  try {
    return { host, port: parsePort(port, false) };
  } catch {
    throw bad();
  }
}

export const formatHostPort = ({ host, port }: HostPort) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`);

/** True for addresses that can only come from this machine (127.0.0.0/8, ::1, and IPv4-mapped loopback). */
export const isLoopback = (address: string) => address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
