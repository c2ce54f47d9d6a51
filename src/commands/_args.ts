// The argument groups the command files share, defined once and spread, and the server address they resolve to.

import { DEFAULT_SERVER } from "../core/wire/protocol.ts";

export const verboseArg = {
  verbose: { type: "boolean", description: "Show debug diagnostics on stderr (also CHAT_DEBUG=1)", default: false },
} as const;

export const serverArg = {
  server: {
    type: "string",
    description: `Server address HOST:PORT (default: $CHAT_SERVER, else ${DEFAULT_SERVER})`,
    valueHint: "host:port",
  },
} as const;

/** --server, else $CHAT_SERVER, else the default. */
export const serverAddress = (flag: string | undefined) => flag ?? process.env.CHAT_SERVER ?? DEFAULT_SERVER;
