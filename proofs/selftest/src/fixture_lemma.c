/* Fixture for the runner's self-test (proofs/selftest/check.sh): a listed
 * lemma that is false, in a file with no function. Every goal of a file that
 * can see it could be proved from it, which is why the runner proves lemmas.
 * Not part of any build. */

/*@ lemma fixture_false: \forall integer x; 0 <= x ==> x < 0; */
