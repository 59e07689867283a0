#!/usr/bin/env python3
"""Injection templates, executed: do meshgen's templates produce what Istio 1.30.3's do?

istiod executes the Go templates in ConfigMap istio-system/istio-sidecar-injector at runtime,
so nothing in meshgen ever runs them. This script renders meshgen's installs (default, ambient,
and a revisioned one), executes each install's templates with shared/tools/inject-oracle
(istiod's template data and function set) for every scenario, and compares the objects they
produce with the expected objects, as data: field for field, formatting irrelevant.

Test cases, as (install, scenario, expected objects):
  * upstream's five: shared/upstream/istio-1.30.3/injection/<profile>.<scenario>.yaml, produced
    by upstream's own templates (sidecar-profile = install "default", ambient-profile =
    "ambient"); the scenario JSON is the oracle's own (shared/tools/inject-oracle/scenarios/) or
    the one beside the expected file;
  * meshgen's: tests/fixtures/injection/expected/<install>.<scenario>.yaml, scenario
    tests/fixtures/injection/<scenario>.json. Each file's header says how it was derived.

Lists of objects that all carry a unique `name` (containers, env, volumes, ports...) are
compared by name, and their order separately; other lists element by element.

Prints a table (scenario x install: equal, or the number of differing fields), then every
differing field; exits 1 on any difference or failure, 2 on a usage error.

usage: injection-test.py [--shared DIR] [--meshgen BIN] [--render INSTALL=RENDER.yaml ...]
                         [--only SUBSTRING] [--actual-dir DIR]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:  # pragma: no cover - depends on the machine
    sys.exit("injection-test: needs PyYAML (python3 -m pip install pyyaml)")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, "tests", "fixtures", "injection")
UPSTREAM_PROFILES = {"sidecar-profile": "default", "ambient-profile": "ambient"}
# How each install is rendered: a built-in profile name, or a profile file of this repo.
INSTALLS = {
    "default": "default",
    "ambient": "ambient",
    "revision": os.path.join(REPO, "tests", "fixtures", "profiles", "revision.yaml"),
    # revision 1-30-3 with tags stable and default (upstream's knobs/revision-tags)
    "revision-tags": os.path.join(REPO, "tests", "fixtures", "profiles", "knob-revision-tags.yaml"),
}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shared", default=os.path.join(os.path.dirname(REPO), "shared"),
                   help="the shared/ directory (default: ../shared beside the repo)")
    p.add_argument("--meshgen", default=os.path.join(REPO, "target", "debug", "meshgen"),
                   help="meshgen binary that renders the installs")
    p.add_argument("--render", action="append", default=[], metavar="INSTALL=FILE",
                   help="use this render for INSTALL instead of rendering it")
    p.add_argument("--only", help="run only the cases whose '<install>.<scenario>' contains this")
    p.add_argument("--actual-dir", help="write every produced object set here, for review")
    return p.parse_args()


def die(msg, code=2):
    print(f"injection-test: {msg}", file=sys.stderr)
    sys.exit(code)


def load_docs(text):
    return [d for d in yaml.safe_load_all(text) if d is not None]


def discover_cases(shared):
    """[(install, scenario name, scenario path, expected path, origin)], sorted."""
    cases = []
    up = os.path.join(shared, "upstream", "istio-1.30.3", "injection")
    oracle_scenarios = os.path.join(shared, "tools", "inject-oracle", "scenarios")
    if not os.path.isdir(up):
        die(f"no upstream expectations at {up}")
    for f in sorted(os.listdir(up)):
        if not f.endswith(".yaml"):
            continue
        profile, _, rest = f.partition(".")
        scenario = rest[: -len(".yaml")]
        if profile not in UPSTREAM_PROFILES:
            continue
        for cand in (os.path.join(up, scenario + ".json"),
                     os.path.join(oracle_scenarios, scenario + ".json")):
            if os.path.exists(cand):
                break
        else:
            die(f"{f}: no scenario {scenario}.json beside it or in the oracle's scenarios")
        cases.append((UPSTREAM_PROFILES[profile], scenario, cand, os.path.join(up, f), "upstream"))
    exp_dir = os.path.join(FIXTURES, "expected")
    for f in sorted(os.listdir(exp_dir)) if os.path.isdir(exp_dir) else []:
        if not f.endswith(".yaml"):
            continue
        install, _, rest = f.partition(".")
        scenario = rest[: -len(".yaml")]
        if install not in INSTALLS:
            die(f"{f}: unknown install {install!r} (known: {', '.join(INSTALLS)})")
        for sc in (os.path.join(d, scenario + ".json") for d in (FIXTURES, oracle_scenarios, up)):
            if os.path.exists(sc):
                break
        else:
            die(f"{f}: no scenario {scenario}.json in {FIXTURES}, the oracle's scenarios or {up}")
        cases.append((install, scenario, sc, os.path.join(exp_dir, f), "derived"))
    # a scenario file nobody expects anything of is a mistake
    used = {os.path.realpath(c[2]) for c in cases}
    for f in sorted(os.listdir(FIXTURES)) if os.path.isdir(FIXTURES) else []:
        if f.endswith(".json") and os.path.realpath(os.path.join(FIXTURES, f)) not in used:
            die(f"scenario {f} has no expected file under {exp_dir}")
    return cases


def render_installs(meshgen, wanted, given, workdir):
    renders = {}
    for spec in given:
        install, sep, path = spec.partition("=")
        if not sep or install not in INSTALLS:
            die(f"--render {spec!r}: want INSTALL=FILE with INSTALL one of {', '.join(INSTALLS)}")
        renders[install] = path
    for install in sorted(wanted - renders.keys()):
        if not os.access(meshgen, os.X_OK):
            die(f"meshgen binary {meshgen} not found (build it, or pass --meshgen)")
        out = os.path.join(workdir, f"{install}.yaml")
        with open(out, "w") as fh:
            r = subprocess.run([meshgen, "render", INSTALLS[install]], stdout=fh,
                               stderr=subprocess.PIPE, text=True, cwd=REPO)
        if r.returncode != 0:
            die(f"meshgen render {INSTALLS[install]} failed:\n{r.stderr}", 1)
        renders[install] = out
    return renders


def injector_config_maps(render):
    """The oracle's -configmap/-mesh-configmap flags for a render: a revisioned install names
    its ConfigMaps istio-sidecar-injector-<rev> and istio-<rev>."""
    names = []
    with open(render) as fh:
        for d in yaml.safe_load_all(fh):
            if isinstance(d, dict) and d.get("kind") == "ConfigMap":
                name = (d.get("metadata") or {}).get("name", "")
                if name.startswith("istio-sidecar-injector"):
                    names.append(name)
    if len(names) != 1:
        die(f"{render}: want one istio-sidecar-injector ConfigMap, found {names or 'none'}", 1)
    suffix = names[0][len("istio-sidecar-injector"):]
    return ["-configmap", names[0], "-mesh-configmap", "istio" + suffix]


def oracle_binary(shared):
    build = os.path.join(shared, "tools", "inject-oracle", "build.sh")
    r = subprocess.run(["bash", build], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0 or not r.stdout.strip():
        die(f"building inject-oracle failed:\n{r.stderr}", 1)
    return r.stdout.strip().splitlines()[-1]


# ------------------------------------------------------------------------------ comparison

def keyed(items):
    """The names of a list of named objects, or None when the list is not one."""
    if not items or not all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items):
        return None
    names = [i["name"] for i in items]
    return names if len(set(names)) == len(names) else None


def show(v):
    return "<absent>" if v is _ABSENT else json.dumps(v, sort_keys=True)


_ABSENT = object()


def diff(exp, got, path, out):
    if isinstance(exp, dict) and isinstance(got, dict):
        for k in sorted(set(exp) | set(got), key=str):
            diff(exp.get(k, _ABSENT), got.get(k, _ABSENT), f"{path}.{k}" if path else str(k), out)
        return
    if isinstance(exp, list) and isinstance(got, list):
        en, gn = keyed(exp), keyed(got)
        if en is not None and gn is not None:
            em = {i["name"]: i for i in exp}
            gm = {i["name"]: i for i in got}
            for n in en + [n for n in gn if n not in em]:
                diff(em.get(n, _ABSENT), gm.get(n, _ABSENT), f"{path}[{n}]", out)
            common_e = [n for n in en if n in gm]
            common_g = [n for n in gn if n in em]
            if common_e != common_g:
                out.append((f"{path} (order)", common_e, common_g))
            return
        if all(not isinstance(i, (dict, list)) for i in exp + got):
            # args, capabilities...: one field, shown whole (a shifted element is one change)
            if exp != got:
                out.append((path, exp, got))
            return
        for i in range(max(len(exp), len(got))):
            diff(exp[i] if i < len(exp) else _ABSENT, got[i] if i < len(got) else _ABSENT,
                 f"{path}[{i}]", out)
        return
    # YAML scalars: 1 and 1.0 are the same number; a bool is no number
    if type(exp) is not type(got) and not (
            isinstance(exp, (int, float)) and isinstance(got, (int, float))
            and not isinstance(exp, bool) and not isinstance(got, bool)):
        out.append((path, exp, got))
    elif exp != got:
        out.append((path, exp, got))


def doc_key(d):
    if isinstance(d, dict) and "kind" in d:
        return f"{d.get('kind')}/{(d.get('metadata') or {}).get('name', '?')}"
    return "patch"


def compare(expected, produced):
    out = []
    em = {doc_key(d): d for d in expected}
    gm = {doc_key(d): d for d in produced}
    if len(em) != len(expected) or len(gm) != len(produced):
        return [("(documents)", [doc_key(d) for d in expected], [doc_key(d) for d in produced])]
    for k in list(em) + [k for k in gm if k not in em]:
        if k not in gm or k not in em:
            out.append((k, "present" if k in em else _ABSENT, "present" if k in gm else _ABSENT))
            continue
        mine = []
        diff(em[k], gm[k], "", mine)
        out.extend((f"{k}: {p}", e, g) for p, e, g in mine)
    return out


# ------------------------------------------------------------------------------ main

def main():
    args = parse_args()
    shared = os.path.abspath(args.shared)
    cases = discover_cases(shared)
    if args.only:
        cases = [c for c in cases if args.only in f"{c[0]}.{c[1]}"]
        if not cases:
            die(f"--only {args.only!r} selects no case")
    oracle = oracle_binary(shared)
    with tempfile.TemporaryDirectory(prefix="injection-test.") as work:
        renders = render_installs(os.path.abspath(args.meshgen), {c[0] for c in cases},
                                  args.render, work)
        flags = {install: injector_config_maps(path) for install, path in renders.items()}
        results = {}
        for install, scenario, sc_path, exp_path, origin in cases:
            with open(sc_path) as fh:
                template = json.load(fh)["template"]
            r = subprocess.run([oracle, *flags[install], renders[install], template, sc_path],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if args.actual_dir:
                os.makedirs(args.actual_dir, exist_ok=True)
                with open(os.path.join(args.actual_dir, f"{install}.{scenario}.yaml"), "w") as fh:
                    fh.write(r.stdout)
            if r.returncode != 0:
                results[(scenario, install)] = (origin, f"oracle failed: {r.stderr.strip()}", None)
                continue
            try:
                produced = load_docs(r.stdout)
            except yaml.YAMLError as e:
                results[(scenario, install)] = (origin, f"output is not YAML: {e}", None)
                continue
            with open(exp_path) as fh:
                expected = load_docs(fh.read())
            results[(scenario, install)] = (origin, None, compare(expected, produced))

    installs = [i for i in INSTALLS if any(k[1] == i for k in results)]
    scenarios = sorted({k[0] for k in results})
    cell = {}
    for key, (origin, err, diffs) in results.items():
        mark = "*" if origin == "upstream" else ""
        cell[key] = ("ERROR" if err else "equal" if not diffs else f"{len(diffs)} differ") + mark
    w0 = max(len("scenario"), *(len(s) for s in scenarios))
    widths = [max(len(i), *(len(cell.get((s, i), "-")) for s in scenarios)) for i in installs]
    print("scenario".ljust(w0) + "  " + "  ".join(i.ljust(w) for i, w in zip(installs, widths)))
    print("-" * w0 + "  " + "  ".join("-" * w for w in widths))
    for s in scenarios:
        print(s.ljust(w0) + "  " + "  ".join(cell.get((s, i), "-").ljust(w)
                                             for i, w in zip(installs, widths)))
    print("(* expected objects produced by upstream's own templates; others derived, see each"
          " file's header; - no such case)")
    failed = 0
    for (s, i), (origin, err, diffs) in sorted(results.items()):
        if err:
            failed += 1
            print(f"\n{i}.{s}: {err}")
        elif diffs:
            failed += 1
            print(f"\n{i}.{s}: {len(diffs)} differing field(s)")
            for path, e, g in diffs:
                print(f"  {path}\n    expected {show(e)}\n    got      {show(g)}")
    total = len(results)
    print(f"\ninjection: {total - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
