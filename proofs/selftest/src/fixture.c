/* Fixture for the runner's self-test (proofs/selftest/check.sh): one provable
 * function, one that only the second pass proves, one false contract, one
 * listed function without a contract, one contract that is not listed, one
 * recursive function whose contract WP "proves" without termination; a
 * listed true lemma, one that is not listed, and an axiom (reported as
 * assumed). The false lemma is in fixture_lemma.c: a false lemma is a
 * hypothesis of every goal of its file, so here it would prove "wrong" too.
 * Not part of any build. */
#include <stdint.h>

/*@ requires x < 1000;
    assigns \nothing;
    ensures \result * 4 <= x < \result * 4 + 4; */
uint32_t good(uint32_t x)
{
    return x / 4u;
}

/* A nonlinear bound: CVC4 1.8 answers "unknown" (the first pass), Z3 proves
 * it (the second pass). */
/*@ requires a < 1000 && b < 1000;
    assigns \nothing;
    ensures \result <= 998001; */
uint64_t second(uint64_t a, uint64_t b)
{
    return a * b;
}

/*@ assigns \nothing;
    ensures \result == 2 * x; */
uint32_t wrong(uint32_t x)
{
    return x + 2u;
}

uint32_t nospec(uint32_t x)
{
    return x;
}

/*@ assigns \nothing;
    ensures \result == 0; */
uint32_t unlisted(void)
{
    return 0u;
}

/* Never returns, yet every goal of its contract is proved: WP checks a
 * recursive call against the function's own contract and only warns that
 * termination is not proved. The runner must reject it. */
/*@ assigns \nothing;
    ensures \result == 0; */
uint32_t forever(uint32_t x)
{
    return forever(x);
}

/* WP's typed model assumes that p lies apart from the static
 * array fixture_counter (a memory-model hypothesis, printed as a warning
 * only): the runner must report it, and fail, since it is not reviewed. */
static uint32_t fixture_counter[2];
/*@ requires \valid(p);
    assigns *p, fixture_counter[0];
    ensures *p == 0 && fixture_counter[0] == 1; */
void hypothesis(uint32_t *p)
{
    fixture_counter[0] = 1;
    *p = 0;
}

/* Returns a pointer to const: Frama-C prints the type as "struct
 * fixture_pair const *", which the runner must still take for a contract. */
struct fixture_pair {
    uint32_t a;
    uint32_t b;
};
static struct fixture_pair fixture_pairs[2];
/*@ requires i < 2;
    assigns \nothing;
    ensures \result == &fixture_pairs[i]; */
const struct fixture_pair *const_result(uint32_t i)
{
    return &fixture_pairs[i];
}

/*@ axiomatic FixtureFacts {
      logic integer fixture_f(integer x);
      axiom fixture_axiom: \forall integer x; fixture_f(x) >= x;
    }
    lemma fixture_lemma: \forall integer x; fixture_f(x) + 1 > x;
    lemma fixture_unlisted: \forall integer x; fixture_f(x) >= x - 1;
    // Lemmas with memory labels: the runner must see them too.
    lemma fixture_at{L}: \forall int *p; \valid{L}(p) ==> \valid_read{L}(p);
    lemma fixture_at_unlisted{L1, L2}: \forall int *p; \at(*p, L1) == \at(*p, L1);
*/
