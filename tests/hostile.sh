#!/usr/bin/env bash
# tests/hostile.sh DAEMON HOSTILE - issue 12: hostile clients contained.
#
# Starts the (ASan) nexus-target on 127.0.0.1 with three targets:
#   good    - LUN 1, 64 MiB RAM; ACL: only the well-behaved initiator
#   open    - LUN 1, 16 MiB RAM; anybody (the hostile logins land here)
#   chap    - LUN 1, 16 MiB RAM; CHAP (guessed at, never known)
#   idle    - LUN 1, 16 MiB RAM; peers that never read log in here (the
#             open target's sessions die with every hostile TARGET RESET)
# short limits so the reaping happens within the run (login timeout 3 s,
# keepalive 2 s), then for HOSTILE_SECONDS (default 40) runs
#   nexus-hostile good   - libiscsi, verified writes and reads on "good"
#   nexus-hostile attack - thousands of malicious connections
# and checks: the good initiator saw no error and no mismatch, the
# daemon's VmHWM stayed under HOSTILE_RSS_MAX_KIB, the daemon is still
# serving (a fresh login works), exits 0 on SIGTERM, and its log has no
# sanitizer report and never contains the CHAP secret, and its log stays
# small (peer-triggered lines are rate-limited; the counts come from the
# daemon's totals line).  One summary line last.  Logs in
# build/reports/hostile-*.log.
set -uo pipefail

DAEMON=${1:?usage: tests/hostile.sh NEXUS-TARGET NEXUS-HOSTILE}
HOSTILE=${2:?usage: tests/hostile.sh NEXUS-TARGET NEXUS-HOSTILE}
SECONDS_RUN=${HOSTILE_SECONDS:-40}
SEED=${HOSTILE_SEED:-1}
# ASan's shadow memory and a 16 MiB quarantine are part of this figure.
RSS_MAX_KIB=${HOSTILE_RSS_MAX_KIB:-262144}
REPORTS=${REPORTS:-build/reports}
mkdir -p "$REPORTS"
LOG=$REPORTS/hostile-daemon.log
OUT=$REPORTS/hostile-daemon.out
GOOD_LOG=$REPORTS/hostile-good.log
ATTACK_LOG=$REPORTS/hostile-attack.log

GOOD_IQN=iqn.2026-11.dev.nexus:hostile-good
OPEN_IQN=iqn.2026-11.dev.nexus:hostile-open
CHAP_IQN=iqn.2026-11.dev.nexus:hostile-chap
IDLE_IQN=iqn.2026-11.dev.nexus:hostile-idle
GOOD_INITIATOR=iqn.2026-11.dev.nexus:hostile.good
SECRET=hostile-Secret-7f3a9c2e

PID=
fail() {
	echo "hostile: FAIL: $*" >&2
	[[ -n $PID ]] && kill -KILL "$PID" 2>/dev/null
	exit 1
}
trap '[[ -n $PID ]] && kill -KILL "$PID" 2>/dev/null' EXIT

command -v iscsi-inq >/dev/null || fail "iscsi-inq (libiscsi-bin) is not installed"

# ASan: a bounded quarantine, so VmHWM measures the daemon, not the
# allocator's delay list; leaks are reported at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16:detect_leaks=1}
"$DAEMON" --portal 127.0.0.1:0 --log-level warn \
	--login-timeout 3 --keepalive 2 --max-logins 64 --max-logins-per-address 64 \
	--max-sessions-per-initiator 8 --auth-lockout-max 10 \
	--target "$GOOD_IQN" --lun 1=ram:64M --acl "$GOOD_INITIATOR" \
	--target "$OPEN_IQN" --lun 1=ram:16M \
	--target "$CHAP_IQN" --lun 1=ram:16M --chap "hostile-user:$SECRET" \
	--target "$IDLE_IQN" --lun 1=ram:16M \
	>"$OUT" 2>"$LOG" &
PID=$!
PORT=
for _ in $(seq 100); do
	PORT=$(sed -n 's/^nexus-target: serving .* on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$OUT")
	[[ -n $PORT ]] && break
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
done
[[ -n $PORT ]] || { cat "$LOG" >&2; fail "nexus-target did not start"; }

rss() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PID/status" 2>/dev/null; }
RSS_START=$(rss VmRSS)

# the good initiator logs in first, then the attack starts
"$HOSTILE" good --url "iscsi://127.0.0.1:$PORT/$GOOD_IQN/1" \
	--seconds "$((SECONDS_RUN + 3))" >"$GOOD_LOG" 2>&1 &
GOOD=$!
sleep 1
"$HOSTILE" attack --port "$PORT" --target "$OPEN_IQN" --chap-target "$CHAP_IQN" \
	--protected-target "$GOOD_IQN" --idle-target "$IDLE_IQN" --seconds "$SECONDS_RUN" --seed "$SEED" \
	>"$ATTACK_LOG" 2>&1 || fail "nexus-hostile attack failed (see $ATTACK_LOG)"
GOOD_RC=0
wait "$GOOD" || GOOD_RC=$?
kill -0 "$PID" 2>/dev/null || fail "the daemon died under attack (see $LOG)"
RSS_END=$(rss VmRSS)
HWM=$(rss VmHWM)

GOOD_LINE=$(grep '^good:' "$GOOD_LOG" | tail -1)
ATTACK_LINE=$(grep '^hostile:' "$ATTACK_LOG" | tail -1)
[[ $GOOD_RC -eq 0 && -n $GOOD_LINE ]] ||
	{ cat "$GOOD_LOG" >&2; fail "the good initiator failed: ${GOOD_LINE:-no summary}"; }
[[ -n $ATTACK_LINE ]] || fail "no attack summary (see $ATTACK_LOG)"

# after the storm: the daemon still serves a fresh login (and the good
# target still refuses an unlisted initiator)
sleep 1
timeout 30 iscsi-inq "iscsi://127.0.0.1:$PORT/$OPEN_IQN/1" >/dev/null 2>&1 ||
	fail "a fresh login after the attack failed"
if timeout 30 iscsi-inq "iscsi://127.0.0.1:$PORT/$GOOD_IQN/1" >/dev/null 2>&1; then
	fail "an unlisted initiator logged in to the protected target"
fi

# SIGTERM: exit 0 within 30 s
kill -TERM "$PID"
RC=0
for _ in $(seq 300); do
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$PID" 2>/dev/null && fail "still running 30 s after SIGTERM"
wait "$PID" || RC=$?
PID=
[[ $RC -eq 0 ]] || fail "exit status $RC after SIGTERM (see $LOG)"
if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|assertion failed' "$LOG"; then
	grep -E -A20 'ERROR: (Address|Leak)Sanitizer|runtime error:|assertion failed' "$LOG" | head -60 >&2
	fail "sanitizer or assertion report in $LOG"
fi
grep -q -- "$SECRET" "$LOG" "$OUT" && fail "the CHAP secret appears in the daemon's output"
[[ -n $HWM && $HWM -le $RSS_MAX_KIB ]] ||
	fail "daemon VmHWM ${HWM:-?} KiB over the bound $RSS_MAX_KIB KiB"

# The log only samples what peers can cause at will (10 lines/s per kind,
# the rest counted); the daemon's totals line at exit has the counts.
field() { sed -n "s/.*[ (]$1=\([0-9]*\).*/\1/p" <<<"$2"; }
TOTALS=$(grep '^nexus-target: totals:' "$OUT" | tail -1)
[[ -n $TOTALS ]] || fail "no totals line from the daemon (see $OUT)"
LOG_LINES=$(wc -l <"$LOG")
LOG_BYTES=$(wc -c <"$LOG")
# Bounded: at most ~10 lines/s for each of the 8 kinds plus their
# summaries; a per-event log (121k lines in 40 s before) fails this.
LOG_LINES_MAX=$((200 * (SECONDS_RUN + 10)))
[[ $LOG_LINES -le $LOG_LINES_MAX ]] ||
	fail "daemon log has $LOG_LINES lines (bound $LOG_LINES_MAX): a message escapes the rate limit"
echo "$ATTACK_LINE"
echo "hostile: verifier $GOOD_LINE"
echo "hostile: daemon ${TOTALS#nexus-target: totals: }"
echo "hostile: daemon log $LOG_LINES lines, $LOG_BYTES bytes (bound $LOG_LINES_MAX lines)"
echo "hostile: PASS connections=$(field connections "$ATTACK_LINE") pdus=$(field pdus "$ATTACK_LINE") good_ios=$(field ios "$GOOD_LINE") errors=0 mismatches=0 max_rss_kib=$HWM log_lines=$LOG_LINES (bound $RSS_MAX_KIB; start $RSS_START, end $RSS_END) seconds=$SECONDS_RUN seed=$SEED"
