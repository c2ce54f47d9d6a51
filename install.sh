#!/bin/sh
# Installs the chat executable for this machine from a release, checksum-verified.
#
#   curl -fsSL https://github.com/chat-udp/chat/releases/latest/download/install.sh | sh
#
# CHAT_DOWNLOAD_URL  the folder holding chat-<target> and SHA256SUMS
#                    (default: the latest GitHub release of CHAT_REPO, itself default chat-udp/chat)
# CHAT_INSTALL_DIR   where `chat` goes (default: ~/.local/bin)
#
# POSIX sh only: it must run on a bare Debian (dash), Alpine (busybox) and macOS alike.

set -eu

# The release pipeline writes the real repository here in the copy it publishes (see .github/workflows/release.yml).
CHAT_REPO="${CHAT_REPO:-chat-udp/chat}"
BASE="${CHAT_DOWNLOAD_URL:-https://github.com/$CHAT_REPO/releases/latest/download}"
BASE="${BASE%/}"
DIR="${CHAT_INSTALL_DIR:-${HOME:?HOME is not set; set CHAT_INSTALL_DIR}/.local/bin}"

say() { printf 'chat install: %s\n' "$*" >&2; }
fail() {
  say "$*"
  say "nothing was installed"
  exit 1
}

# ---- which file this machine needs ----

os=$(uname -s)
arch=$(uname -m)
libc=""
case "$arch" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
esac

case "$os" in
  Linux)
    # ldd says which C library the system uses; Alpine's is musl, and so is its ldd.
    if (ldd --version 2>&1 || true) | grep -qi musl || [ -f /etc/alpine-release ]; then libc="-musl"; fi
    target="linux-$arch$libc"
    ;;
  Darwin)
    # A shell under Rosetta reports x86_64 on Apple silicon: the native build is the right one there.
    if [ "$arch" = x64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then arch=arm64; fi
    target="darwin-$arch"
    ;;
  MINGW* | MSYS* | CYGWIN*)
    fail "on Windows, download chat-windows-x64.exe from $BASE/ and check it against $BASE/SHA256SUMS"
    ;;
  *) target="$os-$arch" ;;
esac

case "$target" in
  linux-x64 | linux-arm64 | linux-x64-musl | darwin-x64 | darwin-arm64) ;;
  *) fail "no prebuilt chat for this platform ($target); build it from source: https://github.com/$CHAT_REPO#from-source" ;;
esac
file="chat-$target"

# ---- tools ----

if command -v curl >/dev/null 2>&1; then
  fetch() { curl --fail --silent --show-error --location --output "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget --quiet --output-document="$2" "$1"; }
else
  fail "neither curl nor wget is installed"
fi

if command -v sha256sum >/dev/null 2>&1; then
  digest() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
  digest() { shasum -a 256 "$1" | cut -d' ' -f1; }
elif command -v openssl >/dev/null 2>&1; then
  digest() { openssl dgst -sha256 -r "$1" | cut -d' ' -f1; }
else
  fail "no SHA-256 tool (sha256sum, shasum or openssl) to verify the download with"
fi

# ---- download and verify, in a folder removed whatever happens ----

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t chat-install)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "downloading $BASE/$file"
fetch "$BASE/$file" "$tmp/$file" || fail "could not download $BASE/$file"
fetch "$BASE/SHA256SUMS" "$tmp/SHA256SUMS" || fail "could not download $BASE/SHA256SUMS"

# A line of SHA256SUMS is "<64 hex digits>  <file>" (or " *<file>" as sha256sum -b writes it).
expected=$(awk -v f="$file" '($2 == f || $2 == "*" f) && length($1) == 64 { print tolower($1); exit }' "$tmp/SHA256SUMS")
[ -n "$expected" ] || fail "SHA256SUMS has no checksum for $file"
actual=$(digest "$tmp/$file")
if [ "$actual" != "$expected" ]; then
  fail "checksum mismatch for $file: expected $expected, got $actual (a damaged or tampered download)"
fi

# ---- install: copy next to the destination, then rename, so a running chat is never overwritten mid-file ----

mkdir -p "$DIR" || fail "cannot create $DIR"
cp "$tmp/$file" "$DIR/.chat.$$" || fail "cannot write to $DIR"
chmod 755 "$DIR/.chat.$$"
mv -f "$DIR/.chat.$$" "$DIR/chat" || {
  rm -f "$DIR/.chat.$$"
  fail "cannot write $DIR/chat"
}

version=$("$DIR/chat" --version 2>/dev/null || true)
say "installed $DIR/chat${version:+ ($version)}, verified against SHA256SUMS"
if [ "$libc" = "-musl" ]; then
  say "musl systems need the C++ runtime: apk add libstdc++ libgcc"
fi
case ":${PATH:-}:" in
  *":$DIR:"*) ;;
  *) say "$DIR is not on your PATH: add it, e.g. echo 'export PATH=\"$DIR:\$PATH\"' >> ~/.profile" ;;
esac
cat >&2 <<EOF
start a room:   chat serve
join it:        chat join YOUR_NAME --server HOST:8888
more:           chat --help
EOF
