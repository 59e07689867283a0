#!/usr/bin/env bash
# Executes every install's injection templates for every scenario and compares the objects with
# the expected ones (ci/injection-test.py does the work; this finds meshgen and PyYAML).
# usage: [MESHGEN=BIN] [SHARED=DIR] bash ci/injection-test.sh [injection-test.py options]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if ! python3 -c 'import yaml' 2>/dev/null; then
  say "installing PyYAML"
  python3 -m pip install --quiet pyyaml 2>/dev/null ||
    python3 -m pip install --quiet --break-system-packages pyyaml 2>/dev/null ||
    { apt-get install -y -q python3-yaml >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q python3-yaml >/dev/null; }; }
fi
exec python3 "$REPO/ci/injection-test.py" --shared "${SHARED:-$REPO/../shared}" --meshgen "$(meshgen_bin)" "$@"
