#!/usr/bin/env bash
# Proves the build.sh replacement: the directory `meshgen render --out` writes builds with the
# real `kubectl kustomize` to exactly the objects of `meshgen render` (compared object by object
# with `meshgen diff`), in the same order (the kustomization asks for `sortOptions: fifo`).
# Cases: the built-in profiles, and each example overlay with its golden profile.
source "$(dirname "$0")/lib.sh"

MESHGEN="$(meshgen_bin)"
KUBECTL="$(kubectl_bin)"
"$KUBECTL" version --client >&2

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# kind/namespace/name of each document, in stream order.
order() {
  awk '
    /^---/ { if (kind != "") print kind "/" ns "/" name; kind = ""; ns = ""; name = ""; meta = 0; next }
    /^kind: / { kind = $2 }
    /^metadata:/ { meta = 1; next }
    /^[^ ]/ { meta = 0 }
    meta && /^  name: / && name == "" { name = $2 }
    meta && /^  namespace: / && ns == "" { ns = $2 }
    END { if (kind != "") print kind "/" ns "/" name }
  ' "$1"
}

passed=0
check_case() {
  local name="$1"; shift
  local dir="$WORK/$name"
  (cd "$REPO" && "$MESHGEN" render "$@" > "$dir.stream.yaml")
  (cd "$REPO" && "$MESHGEN" render "$@" --out "$dir" 2> /dev/null)
  "$KUBECTL" kustomize "$dir" > "$dir.kustomize.yaml" || fail "$name: kubectl kustomize failed"
  "$MESHGEN" diff "$dir.stream.yaml" "$dir.kustomize.yaml" > "$dir.diff" \
    || { cat "$dir.diff" >&2; fail "$name: kubectl kustomize builds other objects than meshgen render"; }
  diff -u <(order "$dir.stream.yaml") <(order "$dir.kustomize.yaml") >&2 \
    || fail "$name: kubectl kustomize changed the apply order"
  local count
  count="$(order "$dir.stream.yaml" | wc -l)"
  [ "$count" -gt 20 ] || fail "$name: only $count objects"
  say "ok: $name ($count objects, same objects and order)"
  passed=$((passed + 1))
}

check_case default default
check_case ambient ambient
check_case permissive permissive
for example in ha egress-lockdown observability; do
  check_case "example-$example" "tests/fixtures/overlays/examples/$example.yaml"
done

echo "$passed passed, 0 failed"
