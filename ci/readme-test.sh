#!/usr/bin/env bash
# The README's "Try it" block, run as written by a newcomer with meshgen on PATH, in an empty
# directory: it must render, be up to date, and lint clean. Keeps the README from drifting.
# The block downloads the upstream CRD bundles; CI has no network, so `curl` is a stand-in that
# serves the same released files from the shared reference data (the digests the block pins
# prove they are the ones a user downloads).
# usage: MESHGEN=BIN [SHARED=DIR] bash ci/readme-test.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bin="$(meshgen_bin)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
shared="${SHARED:-$REPO/../shared}"
mkdir -p "$work/bin"
ln -s "$bin" "$work/bin/meshgen"
cat > "$work/bin/curl" <<CURL
#!/usr/bin/env bash
# curl -fsSLo DEST URL, served from $shared/upstream/crds by the URL's release file.
set -euo pipefail
dest= url=
while [ \$# -gt 0 ]; do
  case "\$1" in -fsSLo|-o) dest="\$2"; shift 2 ;; -*) shift ;; *) url="\$1"; shift ;; esac
done
case "\$url" in
  https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml)
    cp "$shared/upstream/crds/gateway-api-v1.5.1-standard-install.yaml" "\$dest" ;;
  https://raw.githubusercontent.com/istio/istio/1.30.3/manifests/charts/base/files/crd-all.gen.yaml)
    cp "$shared/upstream/crds/istio-1.30.3-crd-all.gen.yaml" "\$dest" ;;
  *) echo "readme-test curl: no stand-in for \$url" >&2; exit 22 ;;
esac
CURL
chmod +x "$work/bin/curl"
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
ls "$work/shop/manifests/crds/" | grep -q customresourcedefinition || fail "the Try it render holds no CRDs"
grep -q "No problems found" "$work/out.txt" || { cat "$work/out.txt" >&2; fail "meshgen lint found problems in the README's example"; }
say "ok: the README's Try it block renders, checks and lints clean"
