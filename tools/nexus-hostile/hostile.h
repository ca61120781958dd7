/*
 * hostile.h - nexus-hostile: a hostile-client load for an iSCSI target
 * (tests/hostile.sh, issue 12), and the well-behaved verifier that runs
 * beside it.
 *
 *   nexus-hostile attack --port P --target IQN --chap-target IQN
 *                 [--host 127.0.0.1] [--seconds 40] [--seed 1] [--conns 128]
 *   nexus-hostile good --url iscsi://127.0.0.1:P/IQN/LUN [--seconds 40]
 *
 * attack: thousands of connections, each running one script chosen from
 * the seed (random bytes, mutated Login PDUs, a login followed by a burst
 * of mutated full-feature-phase PDUs, connect floods, slow-loris writers,
 * logins left unfinished, peers that never read, CHAP guessing, headers
 * announcing huge segments); one poll(2) loop, non-blocking sockets.
 * good: libiscsi, one session, writes a pattern per slot and reads it
 * back (and older slots) the whole time; any error or mismatch fails.
 * Each prints one summary line and exits 0 (or 1 on failure).
 */
#ifndef NX_HOSTILE_H
#define NX_HOSTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int nx_hostile_attack(int argc, char **argv);
int nx_hostile_good(int argc, char **argv);

uint64_t nx_hostile_now_ns(void);

#endif /* NX_HOSTILE_H */
