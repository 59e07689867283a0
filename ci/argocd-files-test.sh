#!/usr/bin/env bash
# The Argo CD files in argocd/ that are not meshgen input, checked the way Argo CD reads them:
# - application.yaml and applicationset.yaml against Argo CD 3's Application and ApplicationSet
#   schemas (npm @kubernetes-models/argo-cd, JSON schemas generated from Argo CD's API types),
#   and a broken copy must fail, so the check can fail;
# - resource-customizations.yaml applies as a kustomize patch onto an `argocd-cm` (real
#   kubectl kustomize), and the health check it carries gives the intended verdicts under
#   Lua 5.1 (Argo CD runs gopher-lua, a Lua 5.1);
# - meshgen's own analyzers find nothing to say about the Application (MG0023).
source "$(dirname "$0")/lib.sh"
MESHGEN="$(meshgen_bin)"
KUBECTL="$(kubectl_bin)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

models="$CACHE/argocd-models"
if [ ! -f "$models/node_modules/@kubernetes-models/argo-cd/package.json" ]; then
  say "installing @kubernetes-models/argo-cd (npm) into $models"
  mkdir -p "$models"
  (cd "$models" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund \
    @kubernetes-models/argo-cd@4.0.0 yaml@2) >&2
fi
cat > "$models/check.mjs" <<'JS'
import fs from 'node:fs';
import YAML from 'yaml';
import { Application, ApplicationSet } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
let failed = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
    const obj = doc.toJSON();
    const Kind = { Application, ApplicationSet }[obj.kind];
    if (!Kind) { console.log(`${file}: ${obj.kind}: no schema`); failed++; continue; }
    try { new Kind(obj).validate(); console.log(`${file}: ${obj.kind} ${obj.metadata.name}: valid`); }
    catch (e) { console.log(`${file}: ${obj.kind} ${obj.metadata.name}: INVALID: ${e.message}`); failed++; }
  }
}
process.exit(failed ? 1 : 0);
JS

say "Application and ApplicationSet against Argo CD's schemas"
node "$models/check.mjs" "$REPO/argocd/application.yaml" "$REPO/argocd/applicationset.yaml"
sed 's/limit: 10/limit: ten/' "$REPO/argocd/application.yaml" > "$work/broken.yaml"
if node "$models/check.mjs" "$work/broken.yaml" > "$work/broken.txt"; then
  cat "$work/broken.txt" >&2; fail "the schema check accepts retry.limit: ten"
fi
grep -q "retry/limit must be integer" "$work/broken.txt" || { cat "$work/broken.txt" >&2; fail "unexpected schema error"; }

say "resource-customizations.yaml patches argocd-cm (kubectl kustomize)"
mkdir -p "$work/argocd"
cat > "$work/argocd/argocd-cm.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
data:
  application.resourceTrackingMethod: annotation
YAML
cp "$REPO/argocd/resource-customizations.yaml" "$work/argocd/"
cat > "$work/argocd/kustomization.yaml" <<'YAML'
resources:
- argocd-cm.yaml
patches:
- path: resource-customizations.yaml
YAML
"$KUBECTL" kustomize "$work/argocd" > "$work/argocd-cm.out.yaml"
python3 - "$work/argocd-cm.out.yaml" "$work/hpa-health.lua" <<'PY'
import sys, yaml
cm = yaml.safe_load(open(sys.argv[1]))
data = cm["data"]
assert data["application.resourceTrackingMethod"] == "annotation", "the patch kept the other keys"
open(sys.argv[2], "w").write(data["resource.customizations.health.autoscaling_HorizontalPodAutoscaler"])
PY

say "the HorizontalPodAutoscaler health check under Lua 5.1"
if ! command -v lua5.1 >/dev/null; then
  say "installing lua5.1 (Debian)"
  { apt-get update -qq && apt-get install -y -qq lua5.1; } >&2
fi
lua5.1 "$REPO/ci/argocd-health-test.lua" "$work/hpa-health.lua"

say "meshgen's analyzers on the Application files"
"$MESHGEN" lint --manifests "$REPO/argocd/application.yaml" "$REPO/argocd/applicationset.yaml"
echo "argocd files: ok"
