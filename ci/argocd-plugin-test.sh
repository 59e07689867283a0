#!/usr/bin/env bash
# Proves the Argo CD plugin the way argocd-cmp-server runs it, without a cluster:
#   - the repository is streamed as a tarball (without .git) and unpacked into a fresh
#     _cmp_server/<uuid> directory, files 0644 and directories 0755 (no preserveFileMode);
#   - discovery: plugin.yaml's `discover.fileName` matches in the app directory;
#   - `generate` is plugin.yaml's own command, run in the app directory as uid 999 (the sidecar's
#     runAsUser, which cannot write to the copy), with only PATH and Argo CD's variables in the
#     environment (no HOME), under the repo-server's 60 s deadline;
#   - it prints only YAML, byte for byte `meshgen render` of the same inputs, which passes
#     validate-manifests --strict; nothing is written; bad parameters fail with stderr only;
#   - argocd/kustomization.yaml, as a kustomize component on an Argo CD repo-server, adds the
#     sidecar running the meshgen image (built with the real `kubectl kustomize`).
# ci/package-test.sh runs the same generate inside the image itself.
source "$(dirname "$0")/lib.sh"

MESHGEN="$(meshgen_bin)"
KUBECTL="$(kubectl_bin)"
VALIDATE="$REPO/../shared/tools/validate-manifests"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"
mkdir -p "$WORK/bin"
install -m 0755 "$MESHGEN" "$WORK/bin/meshgen"
passed=0
ok() { say "ok: $*"; passed=$((passed + 1)); }

# The repository the Application points at: the fixture repo, with a .git the tarball drops.
SOURCE="$WORK/source"
cp -r "$REPO/tests/fixtures/argocd/repo" "$SOURCE"
git -C "$SOURCE" init -q
APP_PATH=clusters/prod
COPY="$WORK/_cmp_server/5b0c7a52-2f1e-4d0b-8a7e-3c9d1f2e4a6b"
mkdir -p "$COPY"
tar -C "$SOURCE" --exclude=./.git -cf - . | tar -C "$COPY" --no-same-owner --no-same-permissions -xf -
chmod 0755 "$WORK/_cmp_server"
find "$COPY" -type d -exec chmod 0755 {} + && find "$COPY" -type f -exec chmod 0644 {} +
[ ! -e "$COPY/.git" ] || fail ".git should not be in the copy"

# Discovery, as plugin.yaml declares it: a file glob relative to the app directory.
pattern="$(sed -n 's/^ *fileName: *//p' "$REPO/argocd/plugin.yaml")"
( cd "$COPY/$APP_PATH" && compgen -G "$pattern" > /dev/null ) || fail "discovery ($pattern) does not match the app"
ok "discovery fileName $pattern matches"

# plugin.yaml's generate command, verbatim.
read -r -a GENERATE <<< "$(sed -n 's/^ *command: *\[\(.*\)\] *$/\1/p' "$REPO/argocd/plugin.yaml" | head -1 | tr -d ',')"
[ "${GENERATE[*]}" = "meshgen argocd generate" ] || fail "unexpected generate command: ${GENERATE[*]}"

PARAMETERS='[{"name":"overlays","array":["../../overlays/team-label.yaml"]},{"name":"mtls-mode","string":"STRICT"}]'
generate() {
  local params="$1"
  (cd "$COPY/$APP_PATH" && timeout 60 setpriv --reuid=999 --regid=999 --clear-groups \
    env -i PATH="$WORK/bin:/usr/bin:/bin" \
      ARGOCD_APP_NAME=mesh-prod ARGOCD_APP_NAMESPACE=istio-system ARGOCD_APP_PROJECT_NAME=default \
      ARGOCD_APP_REVISION=4d94549a0c1f2e3d4b5a69788796a5b4c3d2e1f0 ARGOCD_APP_REVISION_SHORT=4d94549 \
      ARGOCD_APP_REVISION_SHORT_8=4d94549a ARGOCD_APP_SOURCE_REPO_URL=https://git.example.com/platform/mesh.git \
      ARGOCD_APP_SOURCE_PATH="$APP_PATH" ARGOCD_APP_SOURCE_TARGET_REVISION=main \
      KUBE_VERSION=1.35.0 KUBE_API_VERSIONS=v1,apps/v1 ARGOCD_ENV_MESHGEN_DATAPLANE_MODE= \
      ARGOCD_APP_PARAMETERS="$params" \
      "${GENERATE[@]}")
}

before="$(cd "$WORK/_cmp_server" && find . -printf '%p %m %s\n' | sort | sha256sum)"
status=0
generate "$PARAMETERS" > "$WORK/stdout.yaml" 2> "$WORK/stderr.txt" || status=$?
[ "$status" = 0 ] || { cat "$WORK/stderr.txt" >&2; fail "generate exited $status"; }
[ ! -s "$WORK/stderr.txt" ] || { cat "$WORK/stderr.txt" >&2; fail "generate wrote to stderr"; }
[ -s "$WORK/stdout.yaml" ] || fail "generate printed nothing"
after="$(cd "$WORK/_cmp_server" && find . -printf '%p %m %s\n' | sort | sha256sum)"
[ "$before" = "$after" ] || fail "generate changed the repository copy"
ok "generate as uid 999 with Argo CD's environment: exit 0, YAML only, nothing written"

(cd "$SOURCE" && "$MESHGEN" render clusters/prod/meshgen.yaml --overlay overlays/team-label.yaml) > "$WORK/render.yaml"
cmp "$WORK/stdout.yaml" "$WORK/render.yaml" || fail "generate differs from meshgen render"
ok "generate == meshgen render, byte for byte"

if [ -x "$VALIDATE" ]; then
  "$VALIDATE" --strict -q "$WORK/stdout.yaml" >&2 || fail "validate-manifests --strict rejects the plugin output"
  ok "validate-manifests --strict accepts the plugin output"
else
  say "skip: $VALIDATE not found"
fi

status=0
generate '[{"name":"profile","string":"../../../../source/clusters/prod/meshgen.yaml"}]' > "$WORK/bad.yaml" 2> "$WORK/bad.txt" || status=$?
[ "$status" != 0 ] || fail "a profile outside the repository copy was accepted"
[ ! -s "$WORK/bad.yaml" ] || fail "a failed generate printed YAML"
grep -q "outside the project root" "$WORK/bad.txt" || { cat "$WORK/bad.txt" >&2; fail "unexpected error"; }
ok "a path leaving the repository fails, stderr only"

# The kustomize component on a minimal Argo CD repo-server.
INSTALL="$WORK/argocd-install"
mkdir -p "$INSTALL"
cp -r "$REPO/argocd" "$INSTALL/meshgen"
cp "$REPO/tests/fixtures/argocd/repo-server.yaml" "$INSTALL/repo-server.yaml"
cat > "$INSTALL/kustomization.yaml" <<'YAML'
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- repo-server.yaml
components:
- meshgen
YAML
"$KUBECTL" kustomize "$INSTALL" > "$WORK/install.yaml" || fail "kubectl kustomize rejects the component"
# kustomize writes keys in its own order: match lines, not blocks.
for expected in '^ *(- )?name: meshgen$' '^ *(- )?image: localhost/meshgen:[0-9]' \
    '^ *runAsUser: 999$' '^ *(- )?mountPath: /home/argocd/cmp-server/plugins$' \
    '^ *(- )?name: argocd-repo-server$' '^ *(- )?name: meshgen-tmp$' '^ *- /var/run/argocd/argocd-cmp-server$'; do
  grep -qE -- "$expected" "$WORK/install.yaml" || { cat "$WORK/install.yaml" >&2; fail "component output lacks: $expected"; }
done
ok "argocd/ as a kustomize component adds the sidecar"

echo "$passed passed, 0 failed"
