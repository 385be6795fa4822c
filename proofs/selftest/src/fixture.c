/* Fixture for the runner's self-test (proofs/selftest/check.sh): one provable
 * function, one false contract, one listed function without a contract, one
 * contract that is not listed. Not part of any build. */
#include <stdint.h>

/*@ requires x < 1000;
    assigns \nothing;
    ensures \result * 4 <= x < \result * 4 + 4; */
uint32_t good(uint32_t x)
{
    return x / 4u;
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
