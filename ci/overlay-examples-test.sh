#!/usr/bin/env bash
# Proves that the example overlays in overlays/ produce valid manifests, and that the binary
# renders what is committed: each case of the golden suite `overlays/examples`
# (tests/fixtures/overlays/examples/NAME.yaml, the profile that lists overlays/NAME) is rendered,
# compared byte for byte with its golden render golden/overlays/examples/NAME.snap, and checked
# with ../shared/tools/validate-manifests --strict (upstream CRD schemas and the Kubernetes 1.35
# schemas; unknown fields are errors). Zero errors required.
source "$(dirname "$0")/lib.sh"

MESHGEN="$(meshgen_bin)"
VALIDATE="${VALIDATE_MANIFESTS:-$REPO/../shared/tools/validate-manifests}"
[ -x "$VALIDATE" ] || fail "validate-manifests not found at $VALIDATE (set VALIDATE_MANIFESTS)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
python3 "$REPO/ci/golden-yaml.py" "$REPO/golden" "$WORK/golden" > /dev/null
passed=0
for profile in "$REPO"/tests/fixtures/overlays/examples/*.yaml; do
  name="$(basename "$profile" .yaml)"
  (cd "$REPO" && "$MESHGEN" render "tests/fixtures/overlays/examples/$name.yaml") > "$WORK/$name.yaml"
  golden="$WORK/golden/overlays-examples-$name.yaml"
  [ -f "$golden" ] || fail "overlays/$name: no golden render golden/overlays/examples/$name.snap"
  cmp -s "$golden" "$WORK/$name.yaml" \
    || { diff -u "$golden" "$WORK/$name.yaml" | head -40 >&2; fail "overlays/$name: the render differs from golden/overlays/examples/$name.snap"; }
  "$VALIDATE" --strict -q "$WORK/$name.yaml" > "$WORK/$name.log" 2>&1 \
    || { cat "$WORK/$name.log" >&2; fail "overlays/$name: validate-manifests --strict reports errors"; }
  say "ok: overlays/$name: $(tail -1 "$WORK/$name.log")"
  passed=$((passed + 1))
done
[ "$passed" -ge 3 ] || fail "expected at least 3 example overlays, found $passed"
echo "$passed passed, 0 failed"
