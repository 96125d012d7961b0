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
import os
import subprocess
import sys
import time

import learner
from learner import Terminal, memory

work = sys.argv[1]
idle_seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
COURSE = "cloud-foundations"


def idle_cpu(pid):
    return learner.idle_cpu(pid, idle_seconds)


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
