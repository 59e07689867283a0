#!/usr/bin/env bash
# Proves that the example overlays in overlays/ produce valid manifests: each golden case
# (tests/fixtures/overlays/examples/NAME.yaml, the profile that lists overlays/NAME) is rendered
# and checked with ../shared/tools/validate-manifests --strict (upstream CRD schemas and the
# Kubernetes 1.35 schemas; unknown fields are errors). Zero errors required.
source "$(dirname "$0")/lib.sh"

MESHGEN="$(meshgen_bin)"
VALIDATE="${VALIDATE_MANIFESTS:-$REPO/../shared/tools/validate-manifests}"
[ -x "$VALIDATE" ] || fail "validate-manifests not found at $VALIDATE (set VALIDATE_MANIFESTS)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
passed=0
for profile in "$REPO"/tests/fixtures/overlays/examples/*.yaml; do
  name="$(basename "$profile" .yaml)"
  (cd "$REPO" && "$MESHGEN" render "tests/fixtures/overlays/examples/$name.yaml") > "$WORK/$name.yaml"
  "$VALIDATE" --strict -q "$WORK/$name.yaml" > "$WORK/$name.log" 2>&1 \
    || { cat "$WORK/$name.log" >&2; fail "overlays/$name: validate-manifests --strict reports errors"; }
  say "ok: overlays/$name: $(tail -1 "$WORK/$name.log")"
  passed=$((passed + 1))
done
[ "$passed" -ge 3 ] || fail "expected at least 3 example overlays, found $passed"
echo "$passed passed, 0 failed"
