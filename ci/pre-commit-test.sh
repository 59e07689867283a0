#!/usr/bin/env bash
# Proves .pre-commit-hooks.yaml with the real pre-commit client, at both ends of what we support:
#   - the oldest, 3.0.4: what `apt-get install pre-commit` gives on Debian 12, the system our
#     machines and CI run (`apt-cache policy pre-commit`). Before 3.2 the stage names were
#     `commit`/`push`, which is why the manifest uses only `manual`;
#   - the newest on PyPI (whatever `pip install pre-commit` gives today).
# With each client:
#   0. `pre-commit validate-manifest` accepts the whole manifest (system, docker_image and rust
#      hooks: one hook a client rejects makes every hook unusable), and loading the repository
#      prints no warning (deprecated stage names or languages);
# then `pre-commit try-repo` on a throwaway Git repository, with the `-system` hooks and the
# meshgen under test on PATH:
#   1. output missing  -> meshgen-system fails and creates it (pre-commit alone would pass: new
#                         files are untracked); the result is what `meshgen check` expects
#   2. up to date      -> meshgen-system and meshgen-check-system pass
#   3. output stale    -> meshgen-system fails and rewrites it; staged, it passes
#   4. drift           -> meshgen-check-system fails and writes nothing
#   5. up to date      -> meshgen-check-system passes
#   6. docs/install.md's `repo: local` snippet, as written: renders and fails, then passes;
#      its check hook passes
# The docker_image hooks need a container runtime that pre-commit can call as `docker`; none runs
# here, so they are checked for manifest validity only (step 0, and their tag below).
# The `language: rust` hooks cost a cold `cargo install` per try-repo (about ten minutes with
# the release profile): set MESHGEN_TEST_RUST_HOOK=1 to run step 1 with one of them too.
#
#   MESHGEN=path/to/meshgen bash ci/pre-commit-test.sh     # default: a debug build of this checkout
# MESHGEN_HOOK_REPO overrides the hook repository (default: this checkout, uncommitted changes
# included: try-repo commits them into a shadow clone).
source "$(dirname "$0")/lib.sh"

OLDEST=3.0.4
HOOK_REPO="${MESHGEN_HOOK_REPO:-$REPO}"
MESHGEN="$(meshgen_bin)"
export PRE_COMMIT_COLOR=never

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/bin"
ln -s "$MESHGEN" "$WORK/bin/meshgen"
export PATH="$WORK/bin:$PATH"
passed=0
ok() { say "ok: $*"; passed=$((passed + 1)); }

version="$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$HOOK_REPO/Cargo.toml")"
for hook in meshgen-docker meshgen-check-docker; do
  # pre-commit's own Python has PyYAML.
  entry="$("$(dirname "$(pre_commit_bin latest)")/python" - "$HOOK_REPO/.pre-commit-hooks.yaml" "$hook" <<'PY'
import sys, yaml
print(next(h["entry"] for h in yaml.safe_load(open(sys.argv[1])) if h["id"] == sys.argv[2]))
PY
)"
  case "$entry" in
    "--entrypoint /usr/local/bin/meshgen localhost/meshgen:$version "*) ;;
    *) fail "$hook: entry '$entry' should run localhost/meshgen:$version (Cargo.toml's version)" ;;
  esac
done
ok "docker_image hooks name the image of this version (localhost/meshgen:$version)"

# run LOG HOOK-ID EXPECTED-EXIT [extra try-repo args]: runs one hook, checks pre-commit's exit.
run() {
  local log="$1" hook="$2" expected="$3"; shift 3
  local status=0
  "$PRE_COMMIT" try-repo "$HOOK_REPO" "$hook" --all-files --verbose "$@" > "$log" 2>&1 || status=$?
  if { [ "$expected" = 0 ] && [ "$status" != 0 ]; } || { [ "$expected" != 0 ] && [ "$status" = 0 ]; }; then
    cat "$log" >&2
    fail "$CLIENT: $hook: pre-commit exited $status, expected $([ "$expected" = 0 ] && echo 0 || echo non-zero)"
  fi
  # try-repo's own note about a dirty hook repository is expected; any other warning is not.
  if grep -n '\[WARNING\]' "$log" | grep -v 'Creating temporary repo with uncommitted changes' >&2; then
    fail "$CLIENT: $hook: pre-commit warned (above)"
  fi
}
tree_digest() { find manifests -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum 2>/dev/null | sha256sum; }

for wanted in "$OLDEST" latest; do
  PRE_COMMIT="$(pre_commit_bin "$wanted")"
  CLIENT="$("$PRE_COMMIT" --version)"
  export PRE_COMMIT_HOME="$WORK/pre-commit-home-$wanted"
  say "$CLIENT"
  [ "$wanted" = latest ] || [ "$CLIENT" = "pre-commit $wanted" ] || fail "expected pre-commit $wanted, got $CLIENT"

  "$PRE_COMMIT" validate-manifest "$HOOK_REPO/.pre-commit-hooks.yaml" > "$WORK/validate.log" 2>&1 \
    || { cat "$WORK/validate.log" >&2; fail "$CLIENT rejects .pre-commit-hooks.yaml"; }
  ok "$CLIENT: validate-manifest accepts every hook"

  project="$WORK/project-$wanted"
  mkdir -p "$project"
  cd "$project"
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
  log="$WORK/$wanted.log"

  # 1. missing
  run "$log" meshgen-system 1
  [ -f manifests/meshgen.lock ] && [ -f manifests/kustomization.yaml ] || { cat "$log" >&2; fail "$CLIENT: manifests/ was not created"; }
  meshgen check ./meshgen.yaml --out manifests > /dev/null || fail "$CLIENT: the created output is not current"
  ok "$CLIENT: output missing -> meshgen-system failed and created it"
  git add manifests && git commit -q -m "manifests"

  # 2. up to date
  run "$log" meshgen-system 0
  run "$log" meshgen-check-system 0 --hook-stage manual
  ok "$CLIENT: up to date -> meshgen-system and meshgen-check-system passed"

  # 3. stale
  peer=manifests/security/peerauthentication_istio-system_default.yaml
  [ -f "$peer" ] || fail "no $peer in the default render (did file names change?)"
  printf 'spec:\n  mtls:\n    mode: PERMISSIVE\n' >> meshgen.yaml
  git add meshgen.yaml
  run "$log" meshgen-system 1
  grep -q "mode: PERMISSIVE" "$peer" || { cat "$log" >&2; fail "$CLIENT: the stale file was not rewritten"; }
  git add manifests
  run "$log" meshgen-system 0
  ok "$CLIENT: output stale -> meshgen-system failed and fixed it"
  git commit -q -m "permissive"

  # 4. drift
  sed -i 's/PERMISSIVE/STRICT/' meshgen.yaml
  git add meshgen.yaml
  before="$(tree_digest)"
  run "$log" meshgen-check-system 1 --hook-stage manual
  [ "$(tree_digest)" = "$before" ] || fail "$CLIENT: meshgen-check-system changed manifests/"
  ok "$CLIENT: drift -> meshgen-check-system failed without writing"

  # 5. up to date again
  git reset -q --hard
  run "$log" meshgen-check-system 0 --hook-stage manual
  ok "$CLIENT: up to date -> meshgen-check-system passed"

  # 6. docs/install.md's local-hook snippet, as written, with `pre-commit run`.
  local_project="$WORK/local-$wanted"
  mkdir -p "$local_project" && cd "$local_project"
  git init -q -b main . && git config user.email ci@example.com && git config user.name "meshgen CI"
  cp "$project/meshgen.yaml" meshgen.yaml
  awk '/ci\/pre-commit-test.sh runs the block below/ {armed = 1; next}
       armed && /^```yaml$/ {inside = 1; next}
       inside && /^```$/ {exit}
       inside {print}' "$HOOK_REPO/docs/install.md" > .pre-commit-config.yaml
  grep -q 'repo: local' .pre-commit-config.yaml || fail "no local-hook snippet found in docs/install.md"
  git add meshgen.yaml .pre-commit-config.yaml && git commit -q -m "profile and hooks"
  status=0; "$PRE_COMMIT" run meshgen --all-files > "$log" 2>&1 || status=$?
  [ "$status" != 0 ] && [ -f manifests/meshgen.lock ] || { cat "$log" >&2; fail "$CLIENT: docs/install.md's local hook did not render and fail"; }
  git add manifests
  "$PRE_COMMIT" run meshgen --all-files > "$log" 2>&1 || { cat "$log" >&2; fail "$CLIENT: docs/install.md's local hook fails on current output"; }
  "$PRE_COMMIT" run meshgen-check --hook-stage manual --all-files > "$log" 2>&1 \
    || { cat "$log" >&2; fail "$CLIENT: docs/install.md's local check hook fails on current output"; }
  ok "$CLIENT: docs/install.md's repo: local snippet works as written"
  cd "$project"

  if [ "$wanted" = latest ] && [ "${MESHGEN_TEST_RUST_HOOK:-}" = 1 ]; then
    # pre-commit's own `cargo install` of the hook repository, as a user gets it (unoptimised
    # here to save time; the build directory is kept between runs).
    rm -rf manifests && git rm -rq --cached manifests && git commit -q -m "no manifests"
    CARGO_TARGET_DIR="$CACHE/hook-target" CARGO_PROFILE_RELEASE_LTO=false \
      CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=0 \
      run "$log" meshgen 1
    [ -f manifests/meshgen.lock ] || { cat "$log" >&2; fail "$CLIENT: the rust hook did not render"; }
    ok "$CLIENT: the language: rust hook builds and renders"
  fi
  cd "$REPO"
done

echo "$passed passed, 0 failed"
