#!/usr/bin/env bash
# Self-test of proofs/run-wp.sh: runs it on the fixture in a clean environment
# (empty HOME, no ~/.why3.conf) and checks that it fails for exactly the right
# reasons (a recursive function, an unreviewed memory-model hypothesis and a stale
# reviewed line among them), that the provable function is proved by a prover in the first pass,
# that a goal only Z3 proves is proved in the second pass, that lemmas are
# proved or reported, and that axioms are reported as assumed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: check.sh <output-dir>}"
rm -rf "$out"
mkdir -p "$out/home"
set +e
env -i PATH="$PATH" HOME="$out/home" BH_WP_HYPOTHESES="$here/wp-hypotheses.txt" "$here/../run-wp.sh" "$here" "$out/run" "$here/list.txt" \
    >"$out/output.txt" 2>&1
rc=$?
set -e
cat "$out/output.txt"
fail() {
    echo "selftest: $*" >&2
    exit 1
}
[ "$rc" -eq 1 ] || fail "runner exit status $rc, expected 1"
[ ! -e "$out/home/.why3.conf" ] || fail "runner wrote ~/.why3.conf"
grep -Eq '^  good: ([0-9]+)/\1 goals \(.*(Z3|CVC4)' "$out/output.txt" ||
    fail "good not fully proved, or proved without an SMT prover"
grep -q '^  good: .*CVC4' "$out/output.txt" && ! grep -q '^  good: .*second pass' "$out/output.txt" ||
    fail "good not proved by the first pass"
grep -Eq '^  second: ([0-9]+)/\1 goals \(.*Z3.*second pass' "$out/output.txt" ||
    fail "second not proved by Z3 in the second pass"
grep -q 'src/fixture.c: wrong: goal wrong_ensures not proved' "$out/output.txt" ||
    fail "false contract not reported"
grep -q 'nospec has no contract' "$out/output.txt" || fail "missing contract not reported"
grep -Eq '^  const_result: ([0-9]+)/\1 goals' "$out/output.txt" ||
    fail "contract of a function returning a pointer to const not found or not proved"
grep -q 'unlisted has a contract but is not on' "$out/output.txt" ||
    fail "unlisted contract not reported"
grep -q 'missing_function is listed but not defined' "$out/output.txt" ||
    fail "undefined function not reported"
grep -q 'src/fixture.c: forever is recursive' "$out/output.txt" ||
    fail "recursive function (termination not proved) not reported"
grep -q 'src/fixture.c: hypothesis: WP assumes memory-model hypotheses' "$out/output.txt" ||
    fail "unreviewed memory-model hypothesis not reported"
grep -qF '  src/fixture.c: hypothesis: \separated(p, (uint32_t *)fixture_counter + (..))' "$out/output.txt" ||
    fail "memory-model hypothesis not listed"
grep -q 'proofs/selftest/wp-hypotheses.txt: src/fixture.c good: WP assumes no memory-model hypothesis' "$out/output.txt" ||
    fail "stale reviewed hypothesis line not reported"
grep -Eq '^  lemma fixture_lemma: ([0-9]+)/\1 goals \((Z3|CVC4)' "$out/output.txt" ||
    fail "listed lemma not proved by an SMT prover"
grep -q 'src/fixture_lemma.c: lemma fixture_false not proved' "$out/output.txt" ||
    fail "false lemma not reported"
grep -q 'lemma fixture_unlisted is visible to proved code but not proved' "$out/output.txt" ||
    fail "unlisted lemma not reported"
grep -Eq '^  lemma fixture_at: ([0-9]+)/\1 goals \((Z3|CVC4|Qed)' "$out/output.txt" ||
    fail "listed lemma with a label not proved"
grep -q 'lemma fixture_at_unlisted is visible to proved code but not proved' "$out/output.txt" ||
    fail "unlisted lemma with labels not reported"
grep -q '^assumed axioms: fixture_axiom$' "$out/output.txt" || fail "axiom not reported as assumed"
grep -Eq '^proved [0-9]+/[0-9]+ goals in 8 functions and 3 lemmas$' "$out/output.txt" ||
    fail "no summary line"
echo "selftest: ok"
