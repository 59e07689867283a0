#!/usr/bin/env bash
# Runs every fuzz target for a bounded time on seed corpora made from the test fixtures, and
# prints what each did. Fails when a target finds a crash (libFuzzer keeps the input in
# artifacts/TARGET/; turn it into a regression test in tests/it/hostile.rs).
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]   default: 40 s, every target
#
# FUZZ_SEED=N fixes libFuzzer's random seed (CI uses 1, so its run is reproducible: the same
# inputs in the same order on a fresh corpus, as far as the time allows); unset, each run
# explores from a new seed. FUZZ_CORPUS=DIR keeps the corpus elsewhere.
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`). A longer
# run (docs/fuzzing.md): `fuzz/run.sh 3600 overlay`, or `cargo +nightly fuzz run overlay`.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-40}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(profile overlay manifests yaml_reader yaml_writer)
corpus="${FUZZ_CORPUS:-$PWD/corpus}"
repo="$(cd .. && pwd)"

# Seeds: every fixture of the kind a target reads, named by content so reruns add nothing.
seed() {
  local target="$1"
  shift
  mkdir -p "$corpus/$target"
  local file
  while IFS= read -r -d '' file; do
    cp "$file" "$corpus/$target/seed-$(sha256sum < "$file" | cut -c1-16)"
  done < <(find "$@" -type f \( -name '*.yaml' -o -name '*.yml' \) -size -256k -print0 2>/dev/null)
}
seed profile "$repo/profiles" "$repo/tests/fixtures/profiles" "$repo/tests/fixtures/errors" \
  "$repo/tests/fixtures/hostile/profiles"
seed overlay "$repo/overlays" "$repo/tests/fixtures/overlays" "$repo/tests/fixtures/hostile/overlays"
seed manifests "$repo/tests/fixtures/lint" "$repo/tests/fixtures/crds" \
  "$repo/tests/fixtures/overlays/examples" "$repo/tests/fixtures/hostile/manifests"
seed yaml_reader "$repo/tests/fixtures/lint" "$repo/tests/fixtures/profiles" "$repo/overlays"
mkdir -p "$corpus/yaml_writer"

# One build for every target (no sanitizer: meshgen is safe Rust, and what the fuzzers look for
# — panics, stack overflows, runaway memory and time — needs none; it halves the build).
cargo +nightly fuzz build --sanitizer none

# The stack meshgen's own binary gives its work (`cli::run`): libFuzzer calls the targets on
# the main thread, whose stack `ulimit -s` sets.
ulimit -s 65536 2>/dev/null || true

status=0
for target in "${targets[@]}"; do
  log="$(mktemp)"
  # -rss_limit_mb: meshgen promises to stay under 1 GiB on any input; -timeout: 5 s per input.
  if cargo +nightly fuzz run --sanitizer none "$target" "$corpus/$target" -- \
      -max_total_time="$seconds" -seed="${FUZZ_SEED:-0}" -rss_limit_mb=1024 -timeout=5 -max_len=65536 \
      -print_final_stats=1 > "$log" 2>&1; then
    result=ok
  else
    result=CRASH
    status=1
    # The panic message first (the backtrace after it is long), then how libFuzzer ended.
    grep -A 4 -m 1 'panicked at' "$log" | cut -c 1-2000 || true
    tail -n 25 "$log"
  fi
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  printf 'fuzz %-12s %s: %s executions in %s s, corpus %s inputs\n' "$target" "$result" \
    "${runs:-?}" "$seconds" "$(find "$corpus/$target" -type f | wc -l)"
  rm -f "$log"
done
exit "$status"
