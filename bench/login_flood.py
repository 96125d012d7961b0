"""Drives bench/login-flood: floods a server with wrong logins and reports memory and the
owner's login time. Arguments: BASE_URL SERVER_PID CLIENTS ROUNDS."""
import json
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

base, pid, clients, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
DEVICE = "bench-owner-laptop-0123456789abcdef"


def rss_mb():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def login(email, password, device=None):
    body = {"email": email, "password": password}
    if device:
        body["device_token"] = device
    req = urllib.request.Request(base + "/api/v1/auth/login", data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json"}, method="POST")
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    return status, time.perf_counter() - start


# The owner's device is known to the server (it logged in from it before).
status, idle_login = login("owner@bench.local", "owner-password-1234", DEVICE)
assert status == 200, status
baseline = rss_mb()
peak = baseline
statuses = Counter()
owner = []
stop = threading.Event()


def sample():
    global peak
    while not stop.is_set():
        peak = max(peak, rss_mb())
        time.sleep(0.01)


sampler = threading.Thread(target=sample)
sampler.start()
for r in range(rounds):
    barrier = threading.Barrier(clients + 1)

    def attacker(n):
        barrier.wait()
        statuses[login(f"nobody{r}-{n}@bench.local", "wrong-password-123")[0]] += 1

    threads = [threading.Thread(target=attacker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    time.sleep(0.05)  # the flood is in flight
    owner.append(login("owner@bench.local", "owner-password-1234", DEVICE))
    for t in threads:
        t.join()
stop.set()
sampler.join()
time.sleep(0.5)
after = rss_mb()

print(f"\n{clients} concurrent wrong logins x {rounds} rounds")
print(f"  responses: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
print(f"  server RSS: baseline (idle) {baseline:.1f} MB, peak {peak:.1f} MB, after {after:.1f} MB")
ok = sum(1 for s, _ in owner if s == 200)
times = ", ".join(f"{t * 1000:.0f} ms ({s})" for s, t in owner)
print(f"  owner's login during the flood: {ok}/{len(owner)} succeeded: {times}")
print(f"  owner's login on the idle server (baseline): {idle_login * 1000:.0f} ms")
if peak >= 200 or ok != len(owner):
    sys.exit(1)
