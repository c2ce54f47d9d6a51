// The outer layer of a datagram in a room with a passphrase: AES-256-GCM with a key derived by scrypt from the passphrase and the room's salt.

import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";
import { SEAL_IV_BYTES as IV_BYTES, type Message, SALT_HEX_DIGITS, SEAL_OVERHEAD_BYTES, SEAL_TAG_BYTES as TAG_BYTES } from "./protocol.ts";

/** First byte of a sealed datagram. A frame starts with "{", so the two can never be mistaken for each other. */
export const SEALED_MARK = 0xc5;
/** Bound to every sealed datagram, so that one sealed for another protocol or version does not open. */
const AAD = new TextEncoder().encode("chat/3");

/** scrypt cost (N = 2^15, r = 8, p = 1: about 32 MiB and a tenth of a second, once per room and member). */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

export const isSealed = (datagram: Uint8Array) => datagram.length > 0 && datagram[0] === SEALED_MARK;

/**
 * What travels in the clear even in a room with a passphrase: what comes before the key can work (the knock and
 * its challenge, which carries the salt) and the refusals that say the key is missing or wrong, or that the server
 * speaks another version (it could not read the datagram at all). Everything else
 * that arrives in the clear there is ignored.
 */
export const travelsInClear = (m: Message) =>
  m.type === "knock" ||
  m.type === "challenge" ||
  (m.type === "refused" && (m.reason === "bad_passphrase" || m.reason === "passphrase_required" || m.reason === "version"));

/** A fresh per-room salt, as it travels in a challenge: SALT_HEX_DIGITS hex digits. */
export const newSalt = () => randomBytes(SALT_HEX_DIGITS / 2).toString("hex");

export class Envelope {
  readonly #key: Uint8Array;

  private constructor(key: Uint8Array) {
    this.#key = key;
  }

  static fromPassphrase(passphrase: string, salt: string): Envelope {
    return new Envelope(scryptSync(passphrase.normalize("NFC"), Buffer.from(salt, "hex"), 32, SCRYPT));
  }

  /** marker ‖ random IV ‖ ciphertext ‖ tag. */
  seal(plain: Uint8Array): Uint8Array {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv).setAAD(AAD);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const out = new Uint8Array(SEAL_OVERHEAD_BYTES + plain.length);
    out[0] = SEALED_MARK;
    out.set(iv, 1);
    out.set(body, 1 + IV_BYTES);
    out.set(cipher.getAuthTag(), 1 + IV_BYTES + body.length);
    return out;
  }

  /** The frames inside, or undefined when the datagram was not sealed with this key (or was altered). */
  open(datagram: Uint8Array): Uint8Array | undefined {
    if (!isSealed(datagram) || datagram.length < SEAL_OVERHEAD_BYTES) return undefined;
    const iv = datagram.subarray(1, 1 + IV_BYTES);
    const body = datagram.subarray(1 + IV_BYTES, datagram.length - TAG_BYTES);
    const tag = datagram.subarray(datagram.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, iv).setAAD(AAD).setAuthTag(tag);
      return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
    } catch {
      return undefined;
    }
  }
}
