#!/usr/bin/env bash
# The packaging checks: what users install is what CI tested.
#
#   MESHGEN=target/x86_64-unknown-linux-gnu/release/meshgen bash ci/package-test.sh
#
# MESHGEN is the static release binary (ci/build-static.sh; built here if unset). Sections:
#   1. the binary is static and runs with an empty environment;
#   2. it renders byte for byte what a normal, dynamically linked build renders (the debug build
#      `cargo test` leaves in target/debug, or MESHGEN_HOST);
#   3. the image (ci/build-image.sh): two files, uid 999, no shell, no /tmp; loading its OCI
#      archive gives the same image; `meshgen argocd generate` run inside it as uid 999, the way
#      argocd-cmp-server runs it (repository streamed without .git into a fresh directory, app
#      directory as working directory, Argo CD's environment, no HOME), prints exactly what
#      `meshgen render` prints on the host and writes nothing;
#   4. ci/release.sh twice gives identical SHA256SUMS, and the tarball holds what docs/install.md
#      says;
#   5. the Argo CD manifests: the component, the init-container patch and the registry/digest
#      kustomization of repo-server-patch.yaml build with the real kubectl kustomize into
#      objects validate-manifests --strict accepts; the init container's script installs a
#      working meshgen from the release tarball (served on 127.0.0.1) and refuses a wrong
#      checksum; versions in the manifests match Cargo.toml;
#   6. the pre-commit hooks with the oldest and the newest client (ci/pre-commit-test.sh).
# No release build happens here besides ci/build-static.sh's (a no-op when .ci/run built it).
source "$(dirname "$0")/lib.sh"
cd "$REPO"
started=$SECONDS

MESHGEN="${MESHGEN:-$(bash ci/build-static.sh)}"
MESHGEN="$(cd "$(dirname "$MESHGEN")" && pwd)/$(basename "$MESHGEN")"
export MESHGEN
HOST_MESHGEN="${MESHGEN_HOST:-$REPO/target/debug/meshgen}"
VALIDATE="$REPO/../shared/tools/validate-manifests"
VERSION="$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)"
IMAGE="localhost/meshgen:$VERSION"
BUILDAH=("$(buildah_bin)" --storage-driver vfs)

WORK="$(mktemp -d)"
chmod 755 "$WORK"
container=""
cleanup() {
  if [ -n "$container" ]; then
    "${BUILDAH[@]}" umount "$container" > /dev/null 2>&1 || true
    "${BUILDAH[@]}" rm "$container" > /dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
passed=0
ok() { say "ok: $*"; passed=$((passed + 1)); }
section() { printf '\n--- %s (%d s so far)\n' "$*" "$((SECONDS - started))" >&2; }

section "1. static binary"
if readelf -lW "$MESHGEN" | grep -q 'program interpreter'; then fail "$MESHGEN has a program interpreter"; fi
if readelf -dW "$MESHGEN" | grep -q '(NEEDED)'; then fail "$MESHGEN needs shared libraries"; fi
ldd "$MESHGEN" 2>&1 | grep -qE 'statically linked|not a dynamic executable' || fail "ldd: $(ldd "$MESHGEN" 2>&1)"
file -b "$MESHGEN" | grep -qE 'static-pie linked|statically linked' || fail "file: $(file -b "$MESHGEN")"
(cd / && env -i "$MESHGEN" render default > "$WORK/static-default.yaml") || fail "the static binary does not run with an empty environment"
ok "static ($(file -b "$MESHGEN" | grep -oE 'static-pie linked|statically linked')), $(du -k "$MESHGEN" | cut -f1) KiB, runs with no environment"

section "2. same bytes as a normal build"
if [ -x "$HOST_MESHGEN" ]; then
  for profile in default ambient permissive; do
    "$MESHGEN" render "$profile" > "$WORK/static.yaml"
    "$HOST_MESHGEN" render "$profile" > "$WORK/host.yaml"
    cmp "$WORK/static.yaml" "$WORK/host.yaml" || fail "render $profile: the static build differs from $HOST_MESHGEN"
  done
  cmp <("$MESHGEN" schema) <("$HOST_MESHGEN" schema) || fail "schema: the static build differs from $HOST_MESHGEN"
  ok "render default/ambient/permissive and schema: static == $(file -b "$HOST_MESHGEN" | grep -oE 'dynamically linked|statically linked') build ($HOST_MESHGEN)"
else
  fail "no normal build at $HOST_MESHGEN to compare with (run cargo test first, or set MESHGEN_HOST)"
fi

section "3. image"
image_start=$SECONDS
ARCHIVE="$(bash ci/build-image.sh)"
say "ci/build-image.sh took $((SECONDS - image_start)) s"
"${BUILDAH[@]}" inspect --type image "$IMAGE" > "$WORK/inspect.json"
python3 - "$WORK/inspect.json" <<'PY' || fail "image configuration"
import json, sys
image = json.load(open(sys.argv[1]))
config = image["OCIv1"]["config"]
assert config.get("User") == "999", config.get("User")
assert config.get("Entrypoint") == ["/var/run/argocd/argocd-cmp-server"], config.get("Entrypoint")
assert not config.get("Cmd"), config.get("Cmd")
assert not image["OCIv1"].get("history"), "history should be omitted"
assert "io.buildah.version" not in (config.get("Labels") or {}), "buildah version label"
assert len(image["OCIv1"]["rootfs"]["diff_ids"]) == 1, "one layer"
PY
ok "image config: USER 999, entrypoint argocd-cmp-server, one layer, no history"

# The archive is the image: loading it gives the same image ID.
image_id="$("${BUILDAH[@]}" images --quiet --no-trunc "$IMAGE")"
loaded_id="$("${BUILDAH[@]}" pull --quiet "oci-archive:$ARCHIVE")"
[ "${image_id#sha256:}" = "${loaded_id#sha256:}" ] || fail "the OCI archive loads as $loaded_id, not $image_id"
ok "$(basename "$ARCHIVE") loads as the same image (${image_id#sha256:})"

container="$("${BUILDAH[@]}" from --quiet --pull=never --name "meshgen-package-test-$$" "$IMAGE")"
rootfs="$("${BUILDAH[@]}" mount "$container")"
(cd "$rootfs" && find . -mindepth 1 | sort) > "$WORK/rootfs.txt"
cat > "$WORK/rootfs-expected.txt" <<'LIST'
./home
./home/argocd
./home/argocd/cmp-server
./home/argocd/cmp-server/config
./home/argocd/cmp-server/config/plugin.yaml
./usr
./usr/local
./usr/local/bin
./usr/local/bin/meshgen
LIST
diff "$WORK/rootfs-expected.txt" "$WORK/rootfs.txt" >&2 || fail "the image holds more or less than meshgen and plugin.yaml"
cmp "$rootfs/usr/local/bin/meshgen" "$MESHGEN" || fail "the image's meshgen is not $MESHGEN"
cmp "$rootfs/home/argocd/cmp-server/config/plugin.yaml" argocd/plugin.yaml || fail "the image's plugin.yaml is not argocd/plugin.yaml"
[ "$(stat -c %a "$rootfs/usr/local/bin/meshgen") $(stat -c %a "$rootfs/home/argocd/cmp-server/config/plugin.yaml")" = "755 644" ] \
  || fail "file modes in the image"
ok "image files: /usr/local/bin/meshgen (this binary) and plugin.yaml, nothing else (no shell, no /tmp, no /etc)"

# The repository as the repo-server streams it: the fixture repo with a .git the tarball drops,
# unpacked by argocd-cmp-server (uid 999, so it owns the copy) into a fresh directory under its
# work directory, files 0644 and directories 0755.
SOURCE="$WORK/source"
cp -r tests/fixtures/argocd/repo "$SOURCE"
git -C "$SOURCE" init -q
APP_PATH=clusters/prod
UUID=9e5c3f1a-7b2d-4c8e-a1f0-6d4b2e8c9a71
CMP_WORKDIR="$WORK/_cmp_server"
COPY="$CMP_WORKDIR/$UUID"
mkdir -p "$COPY"
tar -C "$SOURCE" --exclude=./.git -cf - . | tar -C "$COPY" --no-same-owner --no-same-permissions -xf -
find "$COPY" -type d -exec chmod 0755 {} + && find "$COPY" -type f -exec chmod 0644 {} +
chown -R 999:999 "$COPY"
[ ! -e "$COPY/.git" ] || fail ".git should not be in the copy"
read -r -a GENERATE <<< "$(sed -n 's/^ *command: *\[\(.*\)\] *$/\1/p' argocd/plugin.yaml | head -1 | tr -d ',')"
[ "${GENERATE[*]}" = "meshgen argocd generate" ] || fail "unexpected generate command: ${GENERATE[*]}"

# in_image PARAMETERS: plugin.yaml's generate command inside the image, as uid 999, in the app
# directory, with the repo-server's environment; HOME names no directory, TMPDIR is unset, and
# the only writable place is the repository copy (/tmp itself is a root-owned mount point).
in_image() {
  timeout 60 "${BUILDAH[@]}" run --isolation chroot --user 999:999 \
    --volume "$CMP_WORKDIR:/tmp/_cmp_server" --workingdir "/tmp/_cmp_server/$UUID/$APP_PATH" \
    --env HOME=/nonexistent \
    --env ARGOCD_APP_NAME=mesh-prod --env ARGOCD_APP_NAMESPACE=istio-system \
    --env ARGOCD_APP_PROJECT_NAME=default \
    --env ARGOCD_APP_REVISION=4d94549a0c1f2e3d4b5a69788796a5b4c3d2e1f0 \
    --env ARGOCD_APP_REVISION_SHORT=4d94549 --env ARGOCD_APP_REVISION_SHORT_8=4d94549a \
    --env ARGOCD_APP_SOURCE_REPO_URL=https://git.example.com/platform/mesh.git \
    --env ARGOCD_APP_SOURCE_PATH="$APP_PATH" --env ARGOCD_APP_SOURCE_TARGET_REVISION=main \
    --env KUBE_VERSION=1.35.0 --env KUBE_API_VERSIONS=v1,apps/v1 \
    --env ARGOCD_ENV_MESHGEN_DATAPLANE_MODE= \
    --env ARGOCD_APP_PARAMETERS="$1" \
    "$container" "${GENERATE[@]}"
}
snapshot() {
  (cd "$COPY" && find . -printf '%p %m %s %U %T@\n' | sort)
  # In the image's root: every file and directory, but not the ones buildah itself makes or
  # rewrites on a run: the empty mount points /dev, /etc, /proc, /run, /sys and /tmp, the files
  # /etc/hosts & co., and the mtime of the directories holding them. Whether a run leaves its
  # mount points behind differs between machines (CI's first run left none), so they are
  # filtered rather than laid out by the warm-up run.
  (cd "$rootfs" && find . -path ./tmp -prune -o \( -type d -printf '%p %m\n' \) -o -printf '%p %m %s %T@\n' \
    | grep -vE '^\./(dev|etc|proc|run|sys|tmp) [0-7]+$' \
    | grep -vE '^\./(etc/(hosts|hostname|resolv\.conf)|run/\.containerenv) ' | sort)
}
PARAMETERS='[{"name":"overlays","array":["../../overlays/team-label.yaml"]},{"name":"mtls-mode","string":"STRICT"}]'
# A first run, so that what buildah does once per container happens before the snapshot; if it
# fails, say why (the run that counts is the next one).
in_image "$PARAMETERS" > /dev/null 2> "$WORK/warm-up.err" \
  || { say "note: the warm-up run in the image failed:"; cat "$WORK/warm-up.err" >&2; }
before="$(snapshot)"
status=0
in_image "$PARAMETERS" > "$WORK/generate.yaml" 2> "$WORK/generate.err" || status=$?
[ "$status" = 0 ] || { cat "$WORK/generate.err" >&2; fail "argocd generate in the image exited $status"; }
[ ! -s "$WORK/generate.err" ] || { cat "$WORK/generate.err" >&2; fail "argocd generate in the image wrote to stderr"; }
[ -s "$WORK/generate.yaml" ] || fail "argocd generate in the image printed nothing"
[ "$before" = "$(snapshot)" ] || { diff <(printf '%s\n' "$before") <(snapshot) >&2; fail "argocd generate in the image wrote files"; }
ok "argocd generate inside the image as uid 999 with the repo-server's environment: exit 0, stdout only, nothing written"

(cd "$SOURCE" && "$MESHGEN" render clusters/prod/meshgen.yaml --overlay overlays/team-label.yaml) > "$WORK/render.yaml"
cmp "$WORK/generate.yaml" "$WORK/render.yaml" || fail "argocd generate in the image differs from meshgen render on the host"
(cd "$SOURCE" && "$HOST_MESHGEN" render clusters/prod/meshgen.yaml --overlay overlays/team-label.yaml) > "$WORK/render-host.yaml"
cmp "$WORK/generate.yaml" "$WORK/render-host.yaml" || fail "argocd generate in the image differs from the normal build's render"
ok "argocd generate in the image == meshgen render on the host, byte for byte ($(grep -c '^kind:' "$WORK/generate.yaml") objects)"

status=0
in_image '[{"name":"profile","string":"../../../../source/clusters/prod/meshgen.yaml"}]' > "$WORK/bad.yaml" 2> "$WORK/bad.err" || status=$?
[ "$status" != 0 ] || fail "in the image, a profile outside the repository copy was accepted"
[ ! -s "$WORK/bad.yaml" ] || fail "in the image, a failed generate printed YAML"
[ -s "$WORK/bad.err" ] || fail "in the image, a failed generate said nothing on stderr"
ok "in the image, a path leaving the repository fails with stderr only (exit $status)"
"${BUILDAH[@]}" umount "$container" > /dev/null
"${BUILDAH[@]}" rm "$container" > /dev/null
container=""

section "4. release artifacts, twice"
release_start=$SECONDS
bash ci/release.sh
cp dist/SHA256SUMS "$WORK/SHA256SUMS.1"
bash ci/release.sh
cmp "$WORK/SHA256SUMS.1" dist/SHA256SUMS || { diff "$WORK/SHA256SUMS.1" dist/SHA256SUMS >&2; fail "two ci/release.sh runs gave different artifacts"; }
(cd dist && sha256sum --quiet -c SHA256SUMS) || fail "dist/SHA256SUMS does not check"
ok "ci/release.sh twice: identical SHA256SUMS ($((SECONDS - release_start)) s for both runs)"
name="meshgen-$VERSION-x86_64-unknown-linux-gnu"
tar -tvzf "dist/$name.tar.gz" | awk '{print $1, $2, $6}' > "$WORK/tarball.txt"
cat > "$WORK/tarball-expected.txt" <<LIST
drwxr-xr-x 0/0 $name/
-rw-r--r-- 0/0 $name/LICENSE
-rw-r--r-- 0/0 $name/README.md
drwxr-xr-x 0/0 $name/docs/
-rw-r--r-- 0/0 $name/docs/install.md
-rwxr-xr-x 0/0 $name/meshgen
-rw-r--r-- 0/0 $name/plugin.yaml
LIST
diff "$WORK/tarball-expected.txt" "$WORK/tarball.txt" >&2 || fail "the release tarball's contents"
mkdir -p "$WORK/unpacked"
tar -xzf "dist/$name.tar.gz" -C "$WORK/unpacked"
cmp "$WORK/unpacked/$name/meshgen" "$MESHGEN" || fail "the tarball's meshgen is not $MESHGEN"
[ "$(ls dist)" = "$(printf '%s\n' SHA256SUMS "meshgen-$VERSION.oci.tar" "$name.tar.gz" | sort)" ] || fail "dist/ holds: $(ls dist | tr '\n' ' ')"
cmp "dist/meshgen-$VERSION.oci.tar" "$ARCHIVE" || fail "dist's OCI archive differs from the image built in section 3"
ok "$name.tar.gz: meshgen, LICENSE, README.md, docs/install.md, plugin.yaml (root-owned, fixed modes)"

section "5. Argo CD manifests"
KUBECTL="$(kubectl_bin)"
python3 - argocd/*.yaml <<'PY' || fail "argocd/*.yaml is not valid YAML"
import sys, yaml
for path in sys.argv[1:]:
    list(yaml.safe_load_all(open(path)))
PY
grep -qE "^ +image: localhost/meshgen:$VERSION\$" argocd/repo-server-patch.yaml \
  || fail "argocd/repo-server-patch.yaml should name $IMAGE"
grep -qE "^ +value: \"$VERSION\"\$" argocd/repo-server-patch-init-container.yaml \
  && grep -qF "/meshgen-$VERSION-x86_64-unknown-linux-gnu.tar.gz" argocd/repo-server-patch-init-container.yaml \
  || fail "argocd/repo-server-patch-init-container.yaml should fetch release $VERSION"
ok "argocd/*.yaml parse; the manifests name version $VERSION"

# A minimal Argo CD repo-server (tests/fixtures/argocd/repo-server.yaml) beside argocd/ as a
# component.
install_base() {
  mkdir -p "$1"
  cp tests/fixtures/argocd/repo-server.yaml "$1/repo-server.yaml"
  cp -r argocd "$1/meshgen"
}
validate() {
  if [ -x "$VALIDATE" ]; then
    "$VALIDATE" --strict -q "$1" >&2 || fail "validate-manifests --strict rejects $2"
  else
    say "skip validate-manifests ($VALIDATE not found)"
  fi
}

# The image variant, with the registry and digest pinned as repo-server-patch.yaml says.
digest="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$(dirname "$ARCHIVE")/image/oci/index.json")"
install_base "$WORK/install-image"
cat > "$WORK/install-image/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- repo-server.yaml
components:
- meshgen
images:
- name: localhost/meshgen
  newName: registry.example.com/platform/meshgen
  digest: $digest
YAML
"$KUBECTL" kustomize "$WORK/install-image" > "$WORK/install-image.yaml" || fail "kubectl kustomize rejects the component"
grep -qE "^ *(- )?image: registry\.example\.com/platform/meshgen@$digest\$" "$WORK/install-image.yaml" \
  || { cat "$WORK/install-image.yaml" >&2; fail "the images: stanza did not pin the sidecar to $digest"; }
[ "$(grep -c '^kind:' "$WORK/install-image.yaml")" = 1 ] || fail "the component should add no object (plugin.yaml is in the image)"
validate "$WORK/install-image.yaml" "the repo-server with the meshgen component"
ok "component + images: pins the sidecar to registry.example.com/platform/meshgen@$digest; validate-manifests --strict passes"

# The init-container variant.
install_base "$WORK/install-init"
cat > "$WORK/install-init/kustomization.yaml" <<'YAML'
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- repo-server.yaml
patches:
- path: meshgen/repo-server-patch-init-container.yaml
YAML
"$KUBECTL" kustomize "$WORK/install-init" > "$WORK/install-init.yaml" || fail "kubectl kustomize rejects the init-container patch"
python3 - "$WORK/install-init.yaml" <<'PY' || fail "the init-container patch did not merge as intended"
import sys, yaml
spec = yaml.safe_load(open(sys.argv[1]))["spec"]["template"]["spec"]
assert sorted(c["name"] for c in spec["initContainers"]) == ["copyutil", "meshgen-install"], spec["initContainers"]
sidecar = next(c for c in spec["containers"] if c["name"] == "meshgen")
assert sidecar["image"].startswith("quay.io/argoproj/argocd:"), sidecar["image"]
mounts = {m["mountPath"]: m.get("subPath") for m in sidecar["volumeMounts"]}
assert mounts["/usr/local/bin/meshgen"] == "meshgen" and mounts["/home/argocd/cmp-server/config/plugin.yaml"] == "plugin.yaml", mounts
assert {"var-files", "plugins", "meshgen-bin", "meshgen-tmp"} <= {v["name"] for v in spec["volumes"]}
PY
validate "$WORK/install-init.yaml" "the repo-server with the init-container patch"
ok "init-container patch merges (copyutil + meshgen-install, stock Argo CD sidecar); validate-manifests --strict passes"

# Its script, run for real against the release tarball on a loopback HTTP server.
python3 - "$WORK/install-init.yaml" "$WORK/init" <<'PY' || fail "cannot read the init container"
import os, sys, yaml
spec = yaml.safe_load(open(sys.argv[1]))["spec"]["template"]["spec"]
init = next(c for c in spec["initContainers"] if c["name"] == "meshgen-install")
os.makedirs(sys.argv[2])
open(os.path.join(sys.argv[2], "script.sh"), "w").write(init["args"][0])
assert init["command"] == ["sh", "-ec"] and init["workingDir"] == "/meshgen"
PY
python3 - "$REPO/dist" "$WORK/port" <<'PY' &
import functools, http.server, sys, threading
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=sys.argv[1]))
open(sys.argv[2] + ".tmp", "w").write(str(server.server_address[1]))
__import__("os").rename(sys.argv[2] + ".tmp", sys.argv[2])
threading.Timer(60, server.shutdown).start()   # never outlives the test
server.serve_forever()
PY
server_pid=$!
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || fail "the loopback HTTP server did not start"
url="http://127.0.0.1:$(cat "$WORK/port")/$name.tar.gz"
sum="$(grep " $name.tar.gz\$" dist/SHA256SUMS | cut -d' ' -f1)"
run_init() {
  (cd "$1" && env -i PATH=/usr/bin:/bin MESHGEN_VERSION="$VERSION" MESHGEN_URL="$url" MESHGEN_SHA256="$2" \
    sh -ec "$(cat "$WORK/init/script.sh")")
}
mkdir -p "$WORK/init/good" "$WORK/init/bad"
run_init "$WORK/init/good" "$sum" > "$WORK/init/good.log" 2>&1 || { cat "$WORK/init/good.log" >&2; fail "the init script failed"; }
[ "$(ls "$WORK/init/good")" = "$(printf 'meshgen\nplugin.yaml')" ] || fail "the init script left: $(ls "$WORK/init/good" | tr '\n' ' ')"
cmp "$WORK/init/good/meshgen" "$MESHGEN" && cmp "$WORK/init/good/plugin.yaml" argocd/plugin.yaml || fail "the init script installed other files"
if run_init "$WORK/init/bad" "$(printf '%064d' 0)" > "$WORK/init/bad.log" 2>&1; then fail "the init script accepted a wrong checksum"; fi
[ ! -e "$WORK/init/bad/meshgen" ] || fail "the init script installed meshgen despite a wrong checksum"
kill "$server_pid" 2> /dev/null || true
wait "$server_pid" 2> /dev/null || true
ok "the init container's script installs meshgen + plugin.yaml from the release tarball, and refuses a wrong checksum"

section "6. pre-commit hooks"
bash ci/pre-commit-test.sh
passed=$((passed + 1))

printf '\npackage-test: %d s\n' "$((SECONDS - started))" >&2
echo "$passed passed, 0 failed"
