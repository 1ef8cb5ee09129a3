#!/usr/bin/env bash
# bench/spf/run.sh — SPF evaluations per second: mailassure's evaluator against libspf2 (spfquery) and mailauth
# (Node.js), the same query mix through the same knot server on loopback, measured in the same run.
#
#   bash bench/spf/run.sh            (env: MA_BENCH_ROUNDS=30, MA_BENCH_REPEAT=3, MA_BENCH_DOMAINS=200,
#                                     MA_BENCH_ADDR=127.0.0.2)
#
# The zone (bench/spf/gen.py) holds a few hundred domains with realistic SPF: provider include chains (one three
# deep), mx, a, ip4 ranges, redirect=. Every peer runs the mix once untimed (warm-up, and its results, which must
# agree across the three), then MA_BENCH_ROUNDS times timed, one evaluation at a time; the median of
# MA_BENCH_REPEAT runs is reported. The cache is WARM for all three: libunbound's own cache (mailassure), libspf2's
# SPF_DNS_CACHE layer (spfquery reuses one server for a -file batch), a memo of every answer (mailauth, whose
# resolver has no cache). A fourth line, "mailassure evaluator", memoises answers in the bench as mailauth's line
# does and skips the resolver on repeats: the evaluator's own cost, to tell it from the resolver's. DNSSEC validation
# is off for mailassure (--no-validate): the zone is unsigned and the peers do not validate.
#
# spfquery reads the system resolver configuration, so it runs in a private mount namespace (unshare -m) with a
# resolv.conf bind-mounted over /etc/resolv.conf pointing at knot: knot therefore listens on port 53 of a spare
# loopback address (MA_BENCH_ADDR). The real /etc/resolv.conf is never touched.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
rounds=${MA_BENCH_ROUNDS:-30}
repeat=${MA_BENCH_REPEAT:-3}
domains=${MA_BENCH_DOMAINS:-200}
addr=${MA_BENCH_ADDR:-127.0.0.2}
out=$root/bench/out/spf
build=$root/build-bench

bash scripts/install-deps.sh --bench

echo "== building spf_bench (Release)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DMA_TESTS=OFF -DMA_BENCH=ON >/dev/null
rm -rf "$out"
mkdir -p "$out"
cmake --build "$build" -j "$(nproc)" --target spf_bench >"$out/build.log" 2>&1 || { cat "$out/build.log"; exit 2; }
python3 bench/spf/gen.py "$out" "$domains"
nq=$(grep -c . "$out/queries.txt")

cleanup() { bash scripts/knotctl.sh stop "$out/knot" || true; }
trap cleanup EXIT
bash scripts/knotctl.sh start "$out/knot" 53 --addr "$addr" "$out/test.zone" >/dev/null
printf 'nameserver %s\noptions attempts:1 timeout:5\n' "$addr" > "$out/resolv.conf"

median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
rate_of() { awk '/^evaluations\/s:/ {print $2}' "$1"; }

# mailassure: the evaluator in-process with one libunbound resolver.
run_mailassure() { "$build/bench/spf_bench" --resolver "$addr:53" --no-validate --rounds "$rounds" "$@" "$out/queries.txt"; }
# The evaluator alone: answers memoised in the bench (10x the rounds: it is fast enough to need them).
run_memo() { "$build/bench/spf_bench" --resolver "$addr:53" --no-validate --memo --rounds $((rounds * 10)) "$out/queries.txt"; }
# mailauth: its SPF API with node's resolver pointed at knot.
run_mailauth() { node bench/spf/mailauth_bench.js "$addr:53" "$out/queries.txt" "$rounds" "$@"; }
# spfquery: one process per batch; the rate is (1 + rounds passes - 1 pass) / time difference, which cancels start-up
# and the warm-up pass.
awk '{print $1, $2, "bench.invalid"}' "$out/queries.txt" > "$out/spfquery-1.txt"
for _ in $(seq 0 "$rounds"); do cat "$out/spfquery-1.txt"; done > "$out/spfquery-n.txt"
spfq() { # FILE -> seconds taken; output to FILE.out
	local t0 t1
	t0=$(date +%s.%N)
	unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && exec spfquery -file "$2"' sh "$out/resolv.conf" "$1" \
		> "$1.out" 2>&1 || true # exits with the last query's result code
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}
run_spfquery() {
	local a b
	a=$(spfq "$out/spfquery-1.txt")
	b=$(spfq "$out/spfquery-n.txt")
	[ "$(grep -c '^Received-SPF:' "$out/spfquery-n.txt.out")" = $((nq * (rounds + 1))) ] ||
		{ echo "spfquery: unexpected output (see $out/spfquery-n.txt.out)" >&2; return 1; }
	echo "evaluations/s: $(echo "$rounds * $nq / ($b - $a)" | bc -l)"
}

echo "== checking the three agree on every result ($nq evaluations)"
run_mailassure --results | awk 'NF == 3 {print $3}' > "$out/results-mailassure" || { echo "mailassure failed"; exit 2; }
run_mailauth --results | awk 'NF == 3 {print $3}' > "$out/results-mailauth" || { echo "mailauth failed"; exit 2; }
spfq "$out/spfquery-1.txt" >/dev/null
grep -oE '^Received-SPF: [a-z]+' "$out/spfquery-1.txt.out" | awk '{print $2}' > "$out/results-spfquery"
paste -d' ' "$out/queries.txt" "$out/results-mailassure" "$out/results-mailauth" "$out/results-spfquery" \
	> "$out/results.txt"
disagree=$(awk '$3 != $4 || $3 != $5' "$out/results.txt" | wc -l)
echo "results (mailassure): $(sort "$out/results-mailassure" | uniq -c | awk '{printf "%s %s, ", $1, $2}')"
if [ "$disagree" != 0 ]; then
	echo "WARNING: $disagree of $nq results differ between the evaluators (IP SENDER mailassure mailauth spfquery):"
	awk '$3 != $4 || $3 != $5' "$out/results.txt" | head -n 10
fi

echo "== measuring: $nq evaluations x $rounds rounds, warm cache, median of $repeat runs"
ma=() mu=() sq=() me=()
for i in $(seq 1 "$repeat"); do
	run_mailassure > "$out/run-mailassure.$i"
	run_mailauth > "$out/run-mailauth.$i"
	run_spfquery > "$out/run-spfquery.$i"
	run_memo > "$out/run-memo.$i"
	ma+=("$(rate_of "$out/run-mailassure.$i")")
	mu+=("$(rate_of "$out/run-mailauth.$i")")
	sq+=("$(rate_of "$out/run-spfquery.$i")")
	me+=("$(rate_of "$out/run-memo.$i")")
done
ma_r=$(printf '%s\n' "${ma[@]}" | median)
mu_r=$(printf '%s\n' "${mu[@]}" | median)
sq_r=$(printf '%s\n' "${sq[@]}" | median)
me_r=$(printf '%s\n' "${me[@]}" | median)
echo "dns questions per pass: mailassure $(awk '/questions/ {print $NF}' "$out/run-mailassure.1"), mailauth $(awk '/questions/ {print $NF}' "$out/run-mailauth.1")"
printf '%-44s %10.0f evaluations/s\n' "mailassure (evaluator + libunbound resolver)" "$ma_r" \
	"spfquery (libspf2 $(dpkg-query -W -f='${Version}' spfquery | cut -d- -f1))" "$sq_r" \
	"mailauth $(jq -r .version bench/.node/node_modules/mailauth/package.json) (node $(node --version))" "$mu_r" \
	"mailassure evaluator, memoised answers" "$me_r"
ratio() { printf 'ratio %-52s %.2f\n' "$1:" "$(echo "$2 / $3" | bc -l)"; }
ratio "mailassure / spfquery" "$ma_r" "$sq_r"
ratio "mailassure / mailauth" "$ma_r" "$mu_r"
ratio "mailassure evaluator (memoised) / spfquery" "$me_r" "$sq_r"
ratio "mailassure evaluator (memoised) / mailauth (memoised)" "$me_r" "$mu_r"
