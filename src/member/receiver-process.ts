// `chat join`'s side of its receiver subprocess: starting it, telling it things, and the exit code it leaves.

import { EXIT } from "../exit-codes.ts";
import type { Log } from "../runtime/log.ts";
import { spawnSelf } from "../runtime/self.ts";
import { type FromReceiver, isFromReceiver, type ToReceiver } from "./ipc.ts";

export interface ReceiverProcess {
  /** Hands the receiver a message; once it has exited, nothing (its exit code decides ours). */
  tell(msg: ToReceiver): void;
  kill(): void;
  /** Resolves once the receiver has exited. */
  readonly exited: Promise<unknown>;
  /** Once exited: `chat join`'s exit code (a receiver killed by a signal is an error, and said so). */
  exitCode(): number;
}

/** Starts the receiver; each of its messages goes to `onMessage`, and one that cannot be shown is logged, never fatal. */
export function spawnReceiver(onMessage: (msg: FromReceiver) => void, log: Log): ReceiverProcess {
  const child = spawnSelf("__receiver", ["ignore", "inherit", "inherit"], (msg) => {
    if (!isFromReceiver(msg)) return log.debug("ignored an unknown message from the receiver");
    try {
      onMessage(msg);
    } catch (err) {
      // A line that cannot be shown must not take the member out of the room.
      log.error(`could not show a ${msg.kind} from the receiver: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  return {
    tell(msg) {
      try {
        child.send(msg);
      } catch (err) {
        log.debug(`receiver is gone: ${String(err)}`);
      }
    },
    kill: () => child.kill("SIGKILL"),
    exited: child.exited,
    exitCode() {
      if (child.signalCode !== null) {
        log.error(`the receiver subprocess was killed (${child.signalCode}): disconnected from the room`);
        return EXIT.error;
      }
      return child.exitCode ?? EXIT.error;
    },
  };
}
