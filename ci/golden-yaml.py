#!/usr/bin/env python3
"""Writes the body of every golden render to OUT_DIR/SUITE-CASE.yaml, so schema validators can
read them. The renders are the insta snapshots (a header between two `---` lines, then the
render) of the suites `builtin` (golden/builtin/NAME.snap: built-in profile NAME), `profiles`
(golden/profiles/NAME.snap: tests/fixtures/profiles/NAME.yaml) and `overlays/examples`
(golden/overlays/examples/NAME.snap; not the NAME.diff.snap views). The naming rule is in
tests/it/harness.rs.

usage: golden-yaml.py GOLDEN_DIR OUT_DIR"""
import pathlib
import sys

RENDER_SUITES = ["builtin", "profiles", "overlays/examples"]

golden, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
count = 0
for suite in RENDER_SUITES:
    snaps = sorted(
        snap for snap in (golden / suite).glob("*.snap") if not snap.name.endswith(".diff.snap")
    )
    if not snaps:
        sys.exit(f"no snapshots in {golden / suite}")
    for snap in snaps:
        text = snap.read_text()
        if not text.startswith("---\n") or "\n---\n" not in text[4:]:
            sys.exit(f"{snap}: not an insta snapshot")
        body = text[4:].split("\n---\n", 1)[1]
        name = f"{suite.replace('/', '-')}-{snap.stem}.yaml"
        (out / name).write_text(body)
        count += 1
print(f"{count} golden renders")
