#!/usr/bin/env bash
# Writes the release artifacts of this checkout into dist/ (emptied first):
#
#   dist/meshgen-<version>-x86_64-unknown-linux-gnu.tar.gz   the static binary + what a user needs
#   dist/meshgen-<version>.oci.tar                           the image (ci/build-image.sh)
#   dist/SHA256SUMS                                          `sha256sum -c SHA256SUMS` checks both
#
#   bash ci/release.sh              # builds the static binary and the image if needed
#   MESHGEN=path/to/static/meshgen bash ci/release.sh
#
# Deterministic: two runs on the same commit give the same bytes, so SHA256SUMS can be rebuilt
# and compared by anyone (ci/package-test.sh does, twice in a row). The tarball has sorted
# names, every mtime at the commit time (SOURCE_DATE_EPOCH), owner and group 0 with no names,
# normalised modes, and `gzip -n` (no name, no timestamp in the gzip header).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

TARGET=x86_64-unknown-linux-gnu
VERSION="$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)"
[ -n "$VERSION" ] || fail "no version in Cargo.toml"
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH="$(git log -1 --format=%ct 2>/dev/null || echo 0)"
fi
export SOURCE_DATE_EPOCH

BIN="${MESHGEN:-}"
[ -n "$BIN" ] || BIN="$(bash ci/build-static.sh)"
[ -x "$BIN" ] || fail "no meshgen binary at $BIN"
if readelf -lW "$BIN" | grep -q 'program interpreter'; then fail "$BIN is not the static build (ci/build-static.sh)"; fi
export MESHGEN="$BIN"

target_dir="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target_dir"
target_dir="$(cd "$target_dir" && pwd)"
name="meshgen-$VERSION-$TARGET"
stage="$target_dir/release-stage"
rm -rf "$stage" dist
mkdir -p "$stage/$name/docs" dist

# What a user needs next to the binary: the license, the README, how to install (and the
# plugin.yaml the init-container variant of the Argo CD sidecar mounts from a ConfigMap).
install -m 0755 "$BIN" "$stage/$name/meshgen"
install -m 0644 LICENSE README.md "$stage/$name/"
install -m 0644 docs/install.md "$stage/$name/docs/install.md"
install -m 0644 argocd/plugin.yaml "$stage/$name/plugin.yaml"
tar --create --directory "$stage" --format=ustar --sort=name \
  --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner --mode='u=rwX,go=rX' \
  "$name" | gzip -n -9 > "dist/$name.tar.gz"

archive="$(bash ci/build-image.sh)"
cp "$archive" "dist/meshgen-$VERSION.oci.tar"

(cd dist && sha256sum "$name.tar.gz" "meshgen-$VERSION.oci.tar" > SHA256SUMS)
say "dist/:"
sed 's/^/    /' dist/SHA256SUMS >&2
