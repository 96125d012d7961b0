"""Prints the benchmark table: each endpoint's requests/s and p99 next to the /healthz
baseline measured at the same connection count, and whether the targets hold."""
import sys

# endpoint -> (minimum share of the baseline's requests/s, minimum absolute requests/s)
TARGETS = {
    "course_list": (0.50, 0),
    "course_detail": (0.35, 0),
    "enroll": (0.0, 0),
    "lesson_progress": (0.0, 5000),
}
P99_LIMIT_MS_AT_64 = 10.0


def ms(text):
    if text.endswith("us"):
        return float(text[:-2]) / 1000
    if text.endswith("ms"):
        return float(text[:-2])
    if text.endswith("s"):
        return float(text[:-1]) * 1000
    return float(text)


rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
baseline = {conns: float(rps) for name, conns, rps, _, _ in rows if name == "healthz"}
failed = False
print(f"{'endpoint':<16}{'conns':>6}{'req/s':>11}{'p99 ms':>9}{'vs baseline':>13}{'errors':>8}  target")
for name, conns, rps, p99, errors in rows:
    rps_f, p99_ms = float(rps), ms(p99)
    share = rps_f / baseline[conns]
    verdict = ""
    if name in TARGETS:
        min_share, min_rps = TARGETS[name]
        ok = share >= min_share and rps_f >= min_rps and errors == "0"
        if conns == "64":
            ok = ok and p99_ms < P99_LIMIT_MS_AT_64
        parts = []
        if min_share:
            parts.append(f">= {min_share:.0%} of baseline")
        if min_rps:
            parts.append(f">= {min_rps} req/s")
        if conns == "64":
            parts.append(f"p99 < {P99_LIMIT_MS_AT_64:g} ms")
        verdict = ("ok   " if ok else "MISS ") + ", ".join(parts)
        failed |= not ok
    print(f"{name:<16}{conns:>6}{rps_f:>11.0f}{p99_ms:>9.2f}{share:>12.0%}{errors:>8}  {verdict}")
sys.exit(1 if failed else 0)
