#!/usr/bin/env bash
# Builds the meshgen image from the static release binary, offline, with buildah (see
# Containerfile): tags it localhost/meshgen:<version> in the local container storage and writes
# it as an OCI archive, target/meshgen-<version>.oci.tar. Prints the archive path on stdout.
#
#   bash ci/build-image.sh                # builds the binary first if needed (ci/build-static.sh)
#   MESHGEN=path/to/static/meshgen bash ci/build-image.sh
#
# buildah runs as root here without a daemon: `--storage-driver vfs` (no overlay mounts needed)
# and `--isolation chroot` (no OCI runtime needed). FROM scratch pulls nothing.
#
# Reproducible: the same binary and plugin.yaml give the same image ID, manifest digest and
# archive bytes on every run. buildah takes care of the image itself: `--timestamp` fixes the
# creation time and every file's mtime (to the commit time, SOURCE_DATE_EPOCH), `--omit-history`
# drops the per-step history (which records the build time), `--identity-label=false` drops
# the buildah version label, and file modes are set by the Containerfile, not the checkout's
# umask. What buildah cannot do is write a reproducible archive: `buildah push oci-archive:`
# tars its temporary OCI layout with the wall-clock mtimes. So the image is pushed to an OCI
# layout directory (content-addressed blobs, byte-stable) and this script tars that directory
# itself: sorted names, fixed mtime, owner 0:0, ustar headers.
source "$(dirname "$0")/lib.sh"
cd "$REPO"

BUILDAH=("$(buildah_bin)" --storage-driver vfs)
VERSION="$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)"
[ -n "$VERSION" ] || fail "no version in Cargo.toml"
IMAGE="localhost/meshgen:$VERSION"
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH="$(git log -1 --format=%ct 2>/dev/null || echo 0)"
fi
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"

BIN="${MESHGEN:-}"
[ -n "$BIN" ] || BIN="$(bash ci/build-static.sh)"
[ -x "$BIN" ] || fail "no meshgen binary at $BIN"
if readelf -lW "$BIN" | grep -q 'program interpreter'; then fail "$BIN is not static: it cannot run in a FROM scratch image"; fi

target_dir="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target_dir"
target_dir="$(cd "$target_dir" && pwd)"
work="$target_dir/image"
context="$work/context"
layout="$work/oci"
ARCHIVE="$target_dir/meshgen-$VERSION.oci.tar"

start=$SECONDS
rm -rf "$context" "$layout"
mkdir -p "$context"
cp "$BIN" "$context/meshgen"
cp argocd/plugin.yaml "$context/plugin.yaml"

previous="$("${BUILDAH[@]}" images --quiet --no-trunc "$IMAGE" 2>/dev/null || true)"
say "buildah bud -> $IMAGE"
"${BUILDAH[@]}" bud --quiet --isolation chroot --pull=never \
  --timestamp "$SOURCE_DATE_EPOCH" --omit-history --identity-label=false \
  --label org.opencontainers.image.title=meshgen \
  --label "org.opencontainers.image.description=Deterministic Istio + Knative manifests; Argo CD config-management plugin sidecar" \
  --label "org.opencontainers.image.version=$VERSION" \
  --label "org.opencontainers.image.revision=$revision" \
  --label org.opencontainers.image.licenses=Apache-2.0 \
  -f Containerfile -t "$IMAGE" "$context" > "$work/image-id"
id="$(tr -d '\n' < "$work/image-id")"
id="${id#sha256:}"
# A rebuild with different inputs leaves the old image untagged: remove it rather than let the
# vfs store (a full copy per image) grow with every build.
if [ -n "$previous" ] && [ "${previous#sha256:}" != "$id" ]; then
  "${BUILDAH[@]}" rmi "$previous" > /dev/null 2>&1 || true
fi

# The OCI layout names the image by its full reference, so `podman load`/`docker load` of the
# archive give it the same name as here.
"${BUILDAH[@]}" push --quiet --format oci "$IMAGE" "oci:$layout:$IMAGE" >&2
rm -f "$ARCHIVE.tmp"
tar --create --file "$ARCHIVE.tmp" --directory "$layout" --format=ustar --sort=name \
  --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner --mode='u=rwX,go=rX' \
  oci-layout index.json blobs
mv "$ARCHIVE.tmp" "$ARCHIVE"

manifest="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$layout/index.json")"
say "image $IMAGE: id sha256:$id, manifest $manifest"
say "archive $ARCHIVE: $(du -k "$ARCHIVE" | cut -f1) KiB, sha256 $(sha256sum "$ARCHIVE" | cut -d' ' -f1)"
say "image built in $((SECONDS - start)) s"
printf '%s\n' "$ARCHIVE"
