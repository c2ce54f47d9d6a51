// Exit codes of every command, one meaning each (the README's table lists them).

export const EXIT = {
  ok: 0,
  /** Bad arguments or an internal failure: the server was not reached. */
  error: 1,
  /** The server answered no: name taken or invalid, wrong admin token, text too long. */
  refused: 2,
  /** The server did not answer in time. */
  noAnswer: 3,
  /** `chat join` left, but some line it was given was not delivered (refused for good, or the server stayed away). */
  undelivered: 4,
} as const;
