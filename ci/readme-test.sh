#!/usr/bin/env bash
# The README's "Try it" block, run as written by a newcomer with meshgen on PATH, in an empty
# directory: it must render, be up to date, and lint clean. Keeps the README from drifting.
# usage: MESHGEN=BIN bash ci/readme-test.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bin="$(meshgen_bin)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
ln -s "$bin" "$work/bin/meshgen"
# The first ```sh block after the heading "## Try it".
python3 - "$REPO/README.md" > "$work/try-it.sh" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
section = text.split("\n## Try it\n", 1)[1]
block = re.search(r"```sh\n(.*?)```", section, re.S)
if not block:
    sys.exit("README.md: no ```sh block under '## Try it'")
print("set -euo pipefail")
print(block.group(1))
PY
say "running the README's \"Try it\" block"
(cd "$work" && PATH="$work/bin:$PATH" bash try-it.sh) > "$work/out.txt" 2>&1 || { cat "$work/out.txt" >&2; fail "the README's Try it block fails"; }
[ -f "$work/shop/manifests/kustomization.yaml" ] || fail "the Try it block wrote no manifests/kustomization.yaml"
grep -q "No problems found" "$work/out.txt" || { cat "$work/out.txt" >&2; fail "meshgen lint found problems in the README's example"; }
say "ok: the README's Try it block renders, checks and lints clean"
