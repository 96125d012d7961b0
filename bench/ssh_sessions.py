"""How many TUI sessions the SSH server holds, and what each costs.

A release cloudmaster-server on SQLite serves the bundled courses and the TUI over SSH; one
learner, enrolled in cloud-foundations, links a key. The script opens SESSIONS sessions
one after another, each with OpenSSH's `ssh -t` in its own 80x24 pseudo-terminal, waiting
for each dashboard to appear (the time it took is the session's start-up); then every
session opens the course's first lesson; then every session quits; then all of it once
more. The server's open files after each round show whether connections were left open,
and its memory after the second whether the first's was reused or lost. The server's resident memory
(VmRSS) is read from /proc at each stage, and its CPU time over an idle stretch with every
session open. The baseline is the same server with no session, in the same run; the
difference divided by the sessions is the memory one session costs.

The limits per account and per key are raised to SESSIONS for the run (one learner opens
them all), and so is the free tier's request limit (each session's TUI calls the API
over loopback as the learner; 50 of them at once would spend an hour's allowance).

Usage: python3 bench/ssh_sessions.py WORK_DIR [SESSIONS] [IDLE_SECONDS]
"""
import os
import socket
import statistics
import subprocess
import sys
import time

import learner
from learner import Terminal, memory

work = sys.argv[1]
sessions = int(sys.argv[2]) if len(sys.argv) > 2 else 50
idle_seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
COURSE = "cloud-foundations"


def free_port():
    # Another process could take it before the server binds it; on a benchmark machine the
    # run then fails loudly, which is acceptable.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_files(pid):
    """File descriptors `pid` holds: sockets included, so connections left open show."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def ssh(port, key):
    env = {"PATH": "/usr/bin:/bin", "HOME": work, "TERM": "xterm-256color"}
    argv = ["/usr/bin/ssh", "-F", "/dev/null", "-t", "-p", str(port), "-i", key,
            "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "learner@127.0.0.1"]
    return Terminal(argv, env)


def main():
    port = free_port()
    limits = {"CLOUDMASTER_SSH_SESSIONS_PER_ACCOUNT": str(sessions),
              "CLOUDMASTER_SSH_SESSIONS_PER_KEY": str(sessions),
              "CLOUDMASTER_RATE_LIMIT_FREE": "1000000"}
    server, base = learner.start_server(work, env=limits,
                                        args=["--ssh-listen", f"127.0.0.1:{port}"])
    clients = []
    try:
        token, _ = learner.enrolled_learner(work, base, COURSE, complete=True)
        key = os.path.join(work, "id_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        learner.call(base, "POST", "/api/v1/account/ssh-keys",
                     {"public_key": open(key + ".pub").read()}, token=token)
        time.sleep(1.0)
        baseline_rss, _ = memory(server.pid)
        baseline_files = open_files(server.pid)
        baseline_cpu = learner.idle_cpu(server.pid, idle_seconds)

        startups = []
        dashboards = lessons = None
        after = []
        # Two rounds: what the second leaves behind shows whether the first's memory is
        # reused (allocators keep freed memory) or lost.
        for _ in range(2):
            clients = []
            for _ in range(sessions):
                started = time.time()
                client = ssh(port, key)
                client.wait_for("Continue learning", timeout=60)
                startups.append((time.time() - started) * 1000)
                clients.append(client)
            time.sleep(1.0)
            if dashboards is None:
                dashboards = memory(server.pid)[0], learner.idle_cpu(server.pid, idle_seconds)
            # The course's outline, then its first lesson.
            for client in clients:
                client.press("\r", 0.0)
            time.sleep(2.0)
            for client in clients:
                client.press("\r", 0.0)
            for client in clients:
                client.wait_for("line 1 of", timeout=60)
            time.sleep(1.0)
            if lessons is None:
                lessons = memory(server.pid)
            for client in clients:
                client.press("q", 0.0)
            for client in clients:
                client.wait_for("Goodbye", timeout=60)
                os.waitpid(client.pid, 0)
            clients = []
            time.sleep(1.0)
            after.append((memory(server.pid)[0], open_files(server.pid)))
    finally:
        for client in clients:
            client.stop()
        server.terminate()
        server.wait()

    (dashboards_rss, dashboards_cpu), (lessons_rss, peak) = dashboards, lessons
    per_session = (lessons_rss - baseline_rss) / sessions
    print(f"{sessions} SSH sessions of one learner, 80x24, release build on SQLite, "
          f"idle {idle_seconds:.0f} s\n")
    print("| server | RSS MB | open files | CPU while idle |")
    print("|---|---|---|---|")
    print(f"| no session (baseline) | {baseline_rss:.1f} | {baseline_files} | {baseline_cpu:.0f} ms |")
    print(f"| {sessions} sessions on the dashboard | {dashboards_rss:.1f} | | {dashboards_cpu:.0f} ms |")
    print(f"| {sessions} sessions in a lesson | {lessons_rss:.1f} (peak {peak:.1f}) | | |")
    for round_, (rss, files) in enumerate(after, 1):
        print(f"| after round {round_}: all quit | {rss:.1f} | {files} | |")
    print(f"\nmemory per session: {per_session * 1024:.0f} KB "
          f"(dashboard only: {(dashboards_rss - baseline_rss) / sessions * 1024:.0f} KB)")
    print(f"dashboard after ssh starts: median {statistics.median(startups):.0f} ms, "
          f"max {max(startups):.0f} ms ({len(startups)} sessions)")

main()
