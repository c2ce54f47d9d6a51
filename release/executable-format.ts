// What platform an executable is for, read from its header bytes alone (ELF, Mach-O, PE): a cross-compiled
// file cannot be run here, but its header says whether the build produced what its name promises.

import type { Target } from "./targets.ts";

export interface ExecutableFormat {
  readonly container: "ELF" | "Mach-O" | "PE32+";
  readonly os: Target["os"];
  readonly arch: Target["arch"];
  /** Linux only: from the ELF interpreter (ld-linux-* is glibc, ld-musl-* is musl). */
  readonly libc?: "glibc" | "musl";
  /** One line for people: "ELF x86-64, interpreter /lib64/ld-linux-x86-64.so.2". */
  readonly summary: string;
}

/** How much of a file to read: every header and load command of Bun's executables lies in the first few KiB. */
export const HEADER_BYTES = 64 * 1024;

/** Reads the platform from the first bytes of an executable; a string says why it is not one we know. */
export function readExecutableFormat(bytes: Uint8Array): ExecutableFormat | string {
  if (bytes.length < 64) return "too short to be an executable";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, false) === 0x7f454c46) return readElf(bytes, view);
  if (view.getUint32(0, true) === 0xfeedfacf) return readMachO(view);
  if (view.getUint16(0, false) === 0x4d5a) return readPe(view);
  return `unknown header ${hex(bytes.subarray(0, 4))}`;
}

/** Says what is wrong when the bytes are not an executable for `target`, or undefined when they are. */
export function formatProblem(target: Target, bytes: Uint8Array): string | undefined {
  const found = readExecutableFormat(bytes);
  if (typeof found === "string") return `${target.file}: ${found}`;
  const wanted = { os: target.os, arch: target.arch, libc: target.libc };
  const got = { os: found.os, arch: found.arch, libc: found.libc };
  if (JSON.stringify(wanted) === JSON.stringify(got)) return undefined;
  return `${target.file}: expected ${describe(wanted)} but the header says ${found.summary}`;
}

const describe = (t: { os: string; arch: string; libc?: string | undefined }) => [t.os, t.arch, t.libc].filter(Boolean).join("-");

function readElf(bytes: Uint8Array, view: DataView): ExecutableFormat | string {
  if (bytes[4] !== 2 || bytes[5] !== 1) return "ELF, but not 64-bit little-endian";
  const machine = view.getUint16(18, true);
  const arch = machine === 0x3e ? "x64" : machine === 0xb7 ? "arm64" : undefined;
  if (!arch) return `ELF for machine 0x${machine.toString(16)}`;
  const interpreter = elfInterpreter(bytes, view);
  if (interpreter === undefined) return `ELF ${arch} without an interpreter (static or truncated)`;
  const libc = /\/ld-musl-/.test(interpreter) ? "musl" : /\/ld-linux-/.test(interpreter) ? "glibc" : undefined;
  if (!libc) return `ELF ${arch} with an unknown interpreter ${interpreter}`;
  return { container: "ELF", os: "linux", arch, libc, summary: `ELF ${arch}, interpreter ${interpreter} (linux-${arch}-${libc})` };
}

/** The path in the PT_INTERP program header: which dynamic loader, hence which C library. */
function elfInterpreter(bytes: Uint8Array, view: DataView): string | undefined {
  const PT_INTERP = 3;
  const phoff = Number(view.getBigUint64(32, true));
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 56 > bytes.length) return undefined;
    if (view.getUint32(at, true) !== PT_INTERP) continue;
    const offset = Number(view.getBigUint64(at + 8, true));
    const size = Number(view.getBigUint64(at + 32, true));
    if (offset + size > bytes.length) return undefined;
    return new TextDecoder().decode(bytes.subarray(offset, offset + size)).replace(/\0+$/, "");
  }
  return undefined;
}

function readMachO(view: DataView): ExecutableFormat | string {
  const cpu = view.getUint32(4, true);
  const arch = cpu === 0x01000007 ? "x64" : cpu === 0x0100000c ? "arm64" : undefined;
  if (!arch) return `Mach-O for cpu type 0x${cpu.toString(16)}`;
  const MH_EXECUTE = 2;
  if (view.getUint32(12, true) !== MH_EXECUTE) return `Mach-O ${arch}, but not an executable`;
  // macOS on Apple silicon runs no unsigned code: an arm64 binary must carry at least an ad-hoc signature.
  const LC_CODE_SIGNATURE = 0x1d;
  const signed = loadCommands(view).includes(LC_CODE_SIGNATURE);
  if (arch === "arm64" && !signed) return "Mach-O arm64 without a code signature (macOS would refuse to run it)";
  return { container: "Mach-O", os: "darwin", arch, summary: `Mach-O ${arch} executable${signed ? ", signed" : ""} (darwin-${arch})` };
}

function loadCommands(view: DataView): number[] {
  const count = view.getUint32(16, true);
  const commands: number[] = [];
  for (let i = 0, at = 32; i < count && at + 8 <= view.byteLength; i++) {
    commands.push(view.getUint32(at, true));
    const size = view.getUint32(at + 4, true);
    if (size < 8) break;
    at += size;
  }
  return commands;
}

function readPe(view: DataView): ExecutableFormat | string {
  const pe = view.getUint32(0x3c, true);
  if (pe + 24 + 70 > view.byteLength || view.getUint32(pe, false) !== 0x50450000) return "MZ header without a PE signature";
  const machine = view.getUint16(pe + 4, true);
  const arch = machine === 0x8664 ? "x64" : machine === 0xaa64 ? "arm64" : undefined;
  if (!arch) return `PE for machine 0x${machine.toString(16)}`;
  const optional = pe + 24;
  if (view.getUint16(optional, true) !== 0x20b) return `PE ${arch}, but not PE32+`;
  const IMAGE_SUBSYSTEM_WINDOWS_CUI = 3;
  if (view.getUint16(optional + 68, true) !== IMAGE_SUBSYSTEM_WINDOWS_CUI) return `PE ${arch}, but not a console program`;
  return { container: "PE32+", os: "windows", arch, summary: `PE32+ ${arch} console executable (windows-${arch})` };
}

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
