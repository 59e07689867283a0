#!/usr/bin/env python3
"""Writes the body of every golden snapshot (golden/*.snap, insta format: a header between two
`---` lines, then the render) to OUT_DIR/NAME.yaml, so schema validators can read them."""
import pathlib
import sys

golden, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
count = 0
for snap in sorted(golden.glob("*.snap")):
    text = snap.read_text()
    if not text.startswith("---\n"):
        sys.exit(f"{snap}: not an insta snapshot")
    body = text[4:].split("\n---\n", 1)[1]
    (out / (snap.stem + ".yaml")).write_text(body)
    count += 1
if count == 0:
    sys.exit(f"no snapshots in {golden}")
print(f"{count} golden renders")
