#!/usr/bin/env bash
# Builds the meshgen release binary that is shipped: x86_64 Linux, linked statically against
# glibc, so it starts in an empty (`FROM scratch`) image, in the stock Argo CD image and on any
# x86_64 Linux. Prints its path on stdout (everything else goes to stderr).
#
#   bash ci/build-static.sh        # -> target/x86_64-unknown-linux-gnu/release/meshgen
#
# How: the glibc target with `-C target-feature=+crt-static` (no musl target is installed here).
# The flags go in CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS, not in a .cargo/config.toml,
# so plain `cargo build`/`cargo test` on the host stay as they are; and the target is named
# explicitly, which keeps the flags off build scripts and proc-macros (they are built for the
# host and must stay dynamic). The result is a static PIE: no program interpreter, no DT_NEEDED,
# and ASLR kept (`file` says "static-pie linked", `ldd` "statically linked").
#
# Reproducible: the same commit and toolchain give the same bytes wherever the checkout is.
# meshgen's own sources reach rustc as relative paths (cargo runs rustc in the package root);
# the only absolute paths in the binary would be the dependencies' sources under CARGO_HOME
# (panic locations), which are remapped to /cargo. No build step reads the clock; the release
# profile strips symbols. SOURCE_DATE_EPOCH is set to the commit time for any build script that
# honours it.
#
# Idempotent: a second run with nothing changed is a no-op cargo build (about a second) plus the
# checks. The first, cold build takes about ten minutes on two cores (thin LTO, one codegen unit).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

TARGET=x86_64-unknown-linux-gnu
say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# RUSTFLAGS (any of its forms) would silently replace the target's flags: the build must not
# depend on what the caller's shell exports.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
case "$cargo_home" in *' '*) fail "CARGO_HOME contains a space ($cargo_home): RUSTFLAGS cannot carry it" ;; esac
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C target-feature=+crt-static --remap-path-prefix=$cargo_home=/cargo"
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH="$(git log -1 --format=%ct 2>/dev/null || echo 0)"
  export SOURCE_DATE_EPOCH
fi

target_dir="$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
BIN="$target_dir/$TARGET/release/meshgen"

say "cargo build --release --locked --target $TARGET (crt-static)"
start=$SECONDS
cargo build --release --locked --target "$TARGET" --bin meshgen >&2
say "build took $((SECONDS - start)) s"

# Static: no interpreter and no shared libraries, whatever words file/ldd use for it.
[ -x "$BIN" ] || fail "$BIN was not built"
if readelf -lW "$BIN" | grep -q 'Requesting program interpreter'; then fail "$BIN has a program interpreter"; fi
if readelf -dW "$BIN" | grep -q '(NEEDED)'; then fail "$BIN needs shared libraries: $(readelf -dW "$BIN" | grep NEEDED)"; fi
file_says="$(file -b "$BIN")"
case "$file_says" in *'static-pie linked'* | *'statically linked'*) ;; *) fail "file: $file_says" ;; esac
ldd_says="$(ldd "$BIN" 2>&1 || true)"
case "$ldd_says" in *'statically linked'* | *'not a dynamic executable'*) ;; *) fail "ldd: $ldd_says" ;; esac
say "file: $file_says"
say "ldd: $(printf '%s' "$ldd_says" | tr -s ' \t\n' ' ')"

# It runs with nothing from the environment: no HOME, no PATH, from /.
(cd / && env -i "$BIN" render default > /dev/null) || fail "$BIN render default failed"
if grep -qaF -- "$cargo_home" "$BIN"; then fail "$BIN embeds $cargo_home (path remapping did not apply)"; fi
say "ok: $(du -k "$BIN" | cut -f1) KiB, sha256 $(sha256sum "$BIN" | cut -d' ' -f1)"
printf '%s\n' "$BIN"
