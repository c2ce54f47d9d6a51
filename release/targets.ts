// The release's files: one standalone executable per platform, named chat-<os>-<arch>[-musl][.exe].

/** Bun's name for a compile target (`bun build --compile --target=...`). */
export type BunTarget =
  | "bun-linux-x64"
  | "bun-linux-arm64"
  | "bun-linux-x64-musl"
  | "bun-darwin-x64"
  | "bun-darwin-arm64"
  | "bun-windows-x64";

export interface Target {
  /** The file in dist/ and in a release; install.sh asks for exactly this name. */
  readonly file: string;
  readonly bun: BunTarget;
  readonly os: "linux" | "darwin" | "windows";
  readonly arch: "x64" | "arm64";
  /** The C library a Linux binary is linked against (its ELF interpreter tells them apart). */
  readonly libc?: "glibc" | "musl";
}

export const TARGETS: readonly Target[] = [
  { file: "chat-linux-x64", bun: "bun-linux-x64", os: "linux", arch: "x64", libc: "glibc" },
  { file: "chat-linux-arm64", bun: "bun-linux-arm64", os: "linux", arch: "arm64", libc: "glibc" },
  { file: "chat-linux-x64-musl", bun: "bun-linux-x64-musl", os: "linux", arch: "x64", libc: "musl" },
  { file: "chat-darwin-x64", bun: "bun-darwin-x64", os: "darwin", arch: "x64" },
  { file: "chat-darwin-arm64", bun: "bun-darwin-arm64", os: "darwin", arch: "arm64" },
  { file: "chat-windows-x64.exe", bun: "bun-windows-x64", os: "windows", arch: "x64" },
];

/** The checksum file published next to the binaries, in `sha256sum` format (`sha256sum -c` reads it). */
export const CHECKSUMS_FILE = "SHA256SUMS";
