#!/usr/bin/env bash
# scripts/test.sh — the whole test suite, as CI runs it (.ci/run calls exactly this):
#   1. install dependencies (scripts/install-deps.sh)
#   2. gcc build with -Wall -Wextra -Werror, then every test under ctest (unit, integration against knot on
#      loopback, CLI, fuzz-corpus replays)
#      and the demo (scripts/demo.sh, the README's other command) as a smoke test
#   3. the same suite built with AddressSanitizer + UndefinedBehaviorSanitizer
#   4. clang libFuzzer build of every fuzz target, each fuzzed briefly from its seed corpus
# Environment: MA_SHARED_DIR (default ../shared beside the repository), MA_FUZZ_SECONDS (default 10 per target),
# MA_SKIP_SANITIZE=1 / MA_SKIP_FUZZ=1 to leave a stage out locally (CI runs them all).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
shared=${MA_SHARED_DIR:-$root/../shared}
jobs=$(nproc 2>/dev/null || echo 2)
fuzz_seconds=${MA_FUZZ_SECONDS:-10}

bash scripts/install-deps.sh || { echo "dependency installation failed"; exit 2; }

total_pass=0 total_fail=0 status=0
# run_ctest BUILD_DIR LABEL: run the suite, add its counts to the totals.
run_ctest() {
	local dir=$1 label=$2 log
	log=$(mktemp)
	echo "== $label: ctest"
	(cd "$dir" && ctest --output-on-failure -j "$jobs") 2>&1 | tee "$log"
	local line
	line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "$label: ctest printed no summary"
		total_fail=$((total_fail + 1)); status=1
	else
		local failed total
		failed=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/')
		total=$(echo "$line" | sed -E 's/.* tests failed out of ([0-9]+).*/\1/')
		total_pass=$((total_pass + total - failed)); total_fail=$((total_fail + failed))
		[ "$failed" = 0 ] || status=1
	fi
	rm -f "$log"
}

configure_build() { # DIR ARGS...: configure and build everything; fails when any target does not build
	local dir=$1; shift
	cmake -S . -B "$dir" -DMA_SHARED_DIR="$shared" "$@" >/dev/null || return 1
	cmake --build "$dir" -j "$jobs" 2>&1 | grep -vE '^\[ *[0-9]+%\]|^-- '
	[ "${PIPESTATUS[0]}" = 0 ] && [ -x "$dir/mailassure" ]
}

echo "== build (gcc, -Werror)"
if configure_build build-ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMA_WERROR=ON; then
	run_ctest build-ci "gcc -Werror"
else
	echo "build failed"; total_fail=$((total_fail + 1)); status=1
fi

# The README's main-job command must keep working: run the demo on the build above (it only prints; it fails when a
# command crashes or the set-up breaks).
echo "== demo (scripts/demo.sh)"
if [ -x build-ci/mailassure ] && MA_DEMO_BUILD=build-ci bash scripts/demo.sh >build-ci/demo.log 2>&1; then
	echo "demo: ok"; total_pass=$((total_pass + 1))
else
	echo "demo: FAILED"; tail -n 40 build-ci/demo.log 2>/dev/null
	total_fail=$((total_fail + 1)); status=1
fi

if [ "${MA_SKIP_SANITIZE:-0}" != 1 ]; then
	echo "== build (ASan + UBSan)"
	if configure_build build-ci-asan -DCMAKE_BUILD_TYPE=Debug -DMA_WERROR=ON -DMA_SANITIZE=ON; then
		# No strict_string_checks: it makes strndup(p, n) read to a NUL, a false report on (pointer, length) data.
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 run_ctest build-ci-asan "ASan+UBSan"
	else
		echo "sanitizer build failed"; total_fail=$((total_fail + 1)); status=1
	fi
fi

if [ "${MA_SKIP_FUZZ:-0}" != 1 ]; then
	echo "== libFuzzer targets (clang), ${fuzz_seconds}s each"
	if CC=clang configure_build build-ci-fuzz -DMA_FUZZ=ON -DMA_TESTS=ON; then
		for src in tests/fuzz/fuzz_*.c; do
			name=$(basename "$src" .c)
			short=${name#fuzz_}
			bin=build-ci-fuzz/tests/$name
			work=$(mktemp -d)
			cp -r "tests/fuzz/corpus/$short/." "$work/" 2>/dev/null
			if "$bin" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=0 \
				-artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
				echo "fuzz $short: ok ($(grep -oE 'Done [0-9]+ runs' "$work.log" | head -n 1))"
				total_pass=$((total_pass + 1))
			else
				echo "fuzz $short: FAILED"; tail -n 40 "$work.log"
				total_fail=$((total_fail + 1)); status=1
			fi
			rm -rf "$work" "$work.log"
		done
	else
		echo "fuzz build failed"; total_fail=$((total_fail + 1)); status=1
	fi
fi

echo "summary: $total_pass passed, $total_fail failed ($((SECONDS / 60)) min $((SECONDS % 60)) s)"
exit $status
