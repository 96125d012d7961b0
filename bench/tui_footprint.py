"""The TUI client's footprint on a small machine: resident memory on the dashboard and after
reading every lesson of a course, and the CPU it uses while nobody touches it.

A release cloudmaster-server on SQLite serves the bundled courses; a learner enrolled in
cloud-foundations (every lesson completed, so none is locked) runs the release `cloudmaster
tui` in a pseudo-terminal of 80x24. The script reads the screen output (as a terminal would),
then samples /proc: VmRSS and VmHWM (the peak), and the process's user+system CPU time over
an idle stretch. The baseline, in the same run, is a process doing nothing (`sleep`)
measured the same way: what "zero" looks like on this machine.

Usage: python3 bench/tui_footprint.py WORK_DIR [IDLE_SECONDS]
"""
import fcntl
import os
import re
import pty
import struct
import subprocess
import sys
import termios
import threading
import time

import learner

work = sys.argv[1]
idle_seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
COURSE = "cloud-foundations"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024.0
    return fields["VmRSS"], fields["VmHWM"]


def cpu_ms(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) * 1000.0 / CLOCK_TICKS


def idle_cpu(pid):
    before = cpu_ms(pid)
    time.sleep(idle_seconds)
    return cpu_ms(pid) - before


class Terminal:
    """A child process in an 80x24 pseudo-terminal whose output is drained and kept."""

    def __init__(self, argv, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(argv[0], argv, env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.output = bytearray()
        self.lock = threading.Lock()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.output += data

    def wait_for(self, text, timeout=20.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if text.encode() in self.output:
                    return
            time.sleep(0.05)
        with self.lock:
            tail = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b" ", bytes(self.output[-3000:]))
        sys.exit(f"the TUI never showed {text!r}; its screen ended with:\n{tail.decode(errors='replace')}")

    def press(self, keys, pause=0.4):
        os.write(self.fd, keys.encode())
        time.sleep(pause)

    def stop(self):
        try:
            os.write(self.fd, b"q")
            time.sleep(0.5)
            os.kill(self.pid, 15)
        except OSError:
            pass
        os.waitpid(self.pid, 0)


def main():
    server, base = learner.start_server(work)
    try:
        token, lessons = learner.enrolled_learner(work, base, COURSE, complete=True)
        last_title = lessons[-1]["title"]
        lessons = len(lessons)

        baseline = subprocess.Popen(["sleep", str(idle_seconds + 5)])
        time.sleep(0.2)
        baseline_rss, _ = memory(baseline.pid)
        baseline_cpu = idle_cpu(baseline.pid)
        baseline.kill()

        env = learner.client_env(work, base, token, TERM="xterm-256color")
        tui = Terminal([os.path.abspath("target/release/cloudmaster"), "tui"], env)
        tui.wait_for("Continue learning")
        time.sleep(1.0)
        dashboard_rss, _ = memory(tui.pid)
        dashboard_cpu = idle_cpu(tui.pid)
        # Open the course, then its first lesson, then every next lesson.
        tui.press("\r", 1.0)
        tui.press("\r", 1.0)
        for _ in range(lessons - 1):
            tui.press("n", 0.5)
        time.sleep(1.0)
        tui.wait_for(last_title[:24])
        lessons_rss, peak = memory(tui.pid)
        tui.stop()
    finally:
        server.terminate()
        server.wait()

    print(f"80x24 pseudo-terminal, {lessons} lessons of {COURSE}, idle {idle_seconds:.0f} s\n")
    print("| process | RSS MB | CPU while idle |")
    print("|---|---|---|")
    print(f"| `sleep` (baseline) | {baseline_rss:.1f} | {baseline_cpu:.0f} ms |")
    print(f"| `cloudmaster tui` on the dashboard | {dashboard_rss:.1f} | {dashboard_cpu:.0f} ms |")
    print(f"| `cloudmaster tui` after every lesson | {lessons_rss:.1f} (peak {peak:.1f}) | |")
    if max(dashboard_rss, lessons_rss, peak) >= 30.0:
        sys.exit("the TUI went over 30 MB")


main()
