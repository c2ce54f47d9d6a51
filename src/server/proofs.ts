// The server's side of the proof layer: one counter for everything it proves, and each member's key and replay window.

import type { Member } from "../core/room/room.ts";
import { checkProof, type Proof, ProofCounter, proofKey, prove, proveInto, ReplayWindow } from "../core/wire/proof.ts";
import { PaddedHmac } from "./hmac.ts";

/**
 * Held by the server for all its rooms. A member's key is made from its hello's nonce (proof.ts), so a member
 * restored from the data directory after a restart proves itself with the key it had; its window starts empty.
 */
export class ServerProofs {
  readonly #counter = new ProofCounter();
  readonly #keys = new WeakMap<Member, Uint8Array>();
  readonly #windows = new WeakMap<Member, ReplayWindow>();
  /** The fan-out's and the checks' hashes, into kept buffers. */
  readonly #hashes = new PaddedHmac();

  /** The key of `member`'s session. */
  keyOf(member: Member): Uint8Array {
    const known = this.#keys.get(member);
    if (known) return known;
    const key = proofKey(member.nonce);
    this.#keys.set(member, key);
    return key;
  }

  /** `bytes` (frames, or sealed frames) proven for the holder of `key`, with the next counter. */
  prove(key: Uint8Array, bytes: Uint8Array, now: number): Uint8Array {
    return prove(key, "server", this.#counter.next(now), bytes);
  }

  /** The SHA-256 of a body to be proven for many (bodyDigest), into a kept buffer: valid until the next digest or check. */
  digest(body: Uint8Array): Uint8Array {
    return this.#hashes.digest(body);
  }

  /** prove() into `out`, reused by the caller (the fan-out): a view of it. `digest`: bytes' bodyDigest, made once for every copy. */
  proveInto(out: Uint8Array, key: Uint8Array, bytes: Uint8Array, digest: Uint8Array, now: number): Uint8Array {
    return proveInto(out, key, "server", this.#counter.next(now), bytes, digest, this.#hashes.hmac);
  }

  /** Whether `proof` is `member`'s, and new: a replayed or redirected datagram is not. */
  admits(member: Member, proof: Proof): boolean {
    if (!checkProof(this.keyOf(member), "member", proof, this.#hashes)) return false;
    let window = this.#windows.get(member);
    if (!window) {
      window = new ReplayWindow();
      this.#windows.set(member, window);
    }
    return window.accept(proof.counter);
  }
}
