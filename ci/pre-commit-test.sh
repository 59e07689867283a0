#!/usr/bin/env bash
# Proves .pre-commit-hooks.yaml with the real pre-commit client (`pre-commit try-repo` on a
# throwaway Git repository), for the `language: rust` hooks users install:
#   1. output missing      -> `meshgen` fails and creates it (pre-commit alone would pass: new
#                             files are untracked)
#   2. up to date          -> `meshgen` passes
#   3. output stale        -> `meshgen` fails and fixes it
#   4. drift               -> `meshgen-check` fails and writes nothing
#   5. up to date          -> `meshgen-check` passes
# and the same cycle, shorter, for the `-system` hooks with meshgen on PATH.
#
# MESHGEN_HOOK_REPO overrides the hook repository (default: this checkout). The hook is built by
# `cargo install` as pre-commit does it, once per `try-repo` (it installs into a fresh store each
# time); to keep CI time down the release profile is built unoptimised here, and the build
# directory is cached under the CI cache so only the meshgen crate itself is rebuilt.
source "$(dirname "$0")/lib.sh"

HOOK_REPO="${MESHGEN_HOOK_REPO:-$REPO}"
PRE_COMMIT="$(pre_commit_bin)"
MESHGEN="$(meshgen_bin)"
export PRE_COMMIT_HOME="$CACHE/pre-commit-home"
export CARGO_TARGET_DIR="$CACHE/hook-target"
export CARGO_PROFILE_RELEASE_LTO=false
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
export CARGO_PROFILE_RELEASE_OPT_LEVEL=0
export PRE_COMMIT_COLOR=never

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
git init -q -b main .
git config user.email ci@example.com
git config user.name "meshgen CI"
cat > meshgen.yaml <<'YAML'
apiVersion: meshgen.dev/v1alpha1
kind: MeshProfile
extends: default
YAML
git add meshgen.yaml
git commit -q -m "profile"

passed=0
# run HOOK-ID EXPECTED-EXIT [extra try-repo args]: runs the hook, checks pre-commit's exit.
run() {
  local hook="$1" expected="$2"; shift 2
  local status=0
  "$PRE_COMMIT" try-repo "$HOOK_REPO" "$hook" --all-files --verbose "$@" > "$WORK.log" 2>&1 || status=$?
  if { [ "$expected" = 0 ] && [ "$status" != 0 ]; } || { [ "$expected" != 0 ] && [ "$status" = 0 ]; }; then
    cat "$WORK.log" >&2
    fail "$hook: pre-commit exited $status, expected $([ "$expected" = 0 ] && echo 0 || echo non-zero)"
  fi
}
expect_log() {
  grep -qF -- "$1" "$WORK.log" || { cat "$WORK.log" >&2; fail "expected in the hook output: $1"; }
}
ok() { say "ok: $*"; passed=$((passed + 1)); }
tree_digest() { find manifests -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum 2>/dev/null | sha256sum; }

say "1. output missing: meshgen creates it and fails (first run builds the hook with cargo install)"
run meshgen 1
expect_log "wrote manifests/kustomization.yaml"
expect_log "was not up to date"
[ -f manifests/meshgen.lock ] || fail "manifests/ was not created"
"$MESHGEN" check ./meshgen.yaml --out manifests || fail "the created output is not current"
ok "missing output -> failed and created"
git add manifests && git commit -q -m "manifests"

say "2. up to date: meshgen passes"
run meshgen 0
ok "up to date -> passed"

say "3. stale output: meshgen fixes it and fails"
sed -i 's/^spec:$//' meshgen.yaml
printf 'spec:\n  mtls:\n    mode: PERMISSIVE\n' >> meshgen.yaml
git add meshgen.yaml
run meshgen 1
expect_log "wrote manifests/security/peerauthentication_istio-system_default.yaml"
grep -q "mode: PERMISSIVE" manifests/security/peerauthentication_istio-system_default.yaml \
  || fail "the stale file was not rewritten"
git add manifests
run meshgen 0
ok "stale output -> failed and fixed"
git commit -q -m "permissive"

say "4. drift: meshgen-check fails and writes nothing"
sed -i 's/PERMISSIVE/STRICT/' meshgen.yaml
git add meshgen.yaml
before="$(tree_digest)"
run meshgen-check 1 --hook-stage manual
expect_log "is not what meshgen renders"
expect_log "+++ manifests/security/peerauthentication_istio-system_default.yaml (rendered)"
[ "$(tree_digest)" = "$before" ] || fail "meshgen-check changed manifests/"
ok "drift -> meshgen-check failed without writing"

say "5. up to date: meshgen-check passes"
git reset -q --hard
run meshgen-check 0 --hook-stage manual
ok "up to date -> meshgen-check passed"

say "6. the -system hooks, with meshgen on PATH"
export PATH="$(dirname "$MESHGEN"):$PATH"
rm -rf manifests
git rm -rq --cached manifests
run meshgen-system 1
expect_log "wrote manifests/kustomization.yaml"
git add manifests
run meshgen-system 0
run meshgen-check-system 0 --hook-stage manual
ok "-system hooks behave the same"

echo "$passed passed, 0 failed"
