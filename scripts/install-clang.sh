#!/usr/bin/env bash
# Installs clang-19 and its compiler-rt (libFuzzer, ASan/UBSan runtimes) for seam's libFuzzer mode
# (`seam fuzz -mode libfuzzer`, `scripts/build-native.sh fuzzer`). Does nothing when clang-19 is
# already there. Needs root (or sudo) and an apt mirror; when that cannot work it says so in one
# line and exits 2, like every other seam script.
set -uo pipefail

msg="libfuzzer mode: clang-19 not installed and apt failed; run scripts/install-clang.sh"

have_clang() {
  command -v clang-19 >/dev/null 2>&1 && command -v clang++-19 >/dev/null 2>&1 &&
    [ -n "$(clang-19 -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null | grep '^/')" ] &&
    [ -e "$(clang-19 -print-file-name=libclang_rt.fuzzer-x86_64.a)" ]
}

have_clang && exit 0

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else echo "$msg (not root and no sudo)" >&2; exit 2; fi
fi
command -v apt-get >/dev/null 2>&1 || { echo "$msg (no apt-get on this system)" >&2; exit 2; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "install-clang: apt-get install clang-19 libclang-rt-19-dev (a few minutes on a fresh machine)"
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang-19 libclang-rt-19-dev; } >"$log" 2>&1; then
  echo "$msg ($(grep -E '^(E|W):' "$log" | head -1))" >&2
  exit 2
fi
have_clang || { echo "$msg (installed, but clang-19 or its libFuzzer runtime is still missing)" >&2; exit 2; }
echo "install-clang: $(clang-19 --version | head -1)"
