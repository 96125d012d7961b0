"""What the client benchmarks share: a release cloudmaster-server on SQLite serving the
bundled courses, a learner enrolled in one of them, programs run in pseudo-terminals, and
/proc readings of a process's memory and CPU time."""
import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import time
import urllib.request

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def call(base, method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(req, data) as resp:
        text = resp.read()
        return json.loads(text) if text else None


def start_server(work, env=None, args=()):
    """Starts the release server in `work` (extra environment `env`, extra flags `args`);
    returns (process, URL)."""
    url_file = os.path.join(work, "server.url")
    server = subprocess.Popen(
        ["target/release/cloudmaster-server", "--listen", "127.0.0.1:0", "--url-file", url_file,
         "--data-dir", os.path.join(work, "server"), *args],
        env=dict(os.environ, **(env or {})), stdout=subprocess.DEVNULL,
        stderr=open(os.path.join(work, "server.log"), "w"))
    for _ in range(400):
        if os.path.exists(url_file) and open(url_file).read().strip():
            return server, open(url_file).read().strip()
        time.sleep(0.05)
    server.kill()
    raise SystemExit("the server did not start: see " + os.path.join(work, "server.log"))


def enrolled_learner(work, base, course, complete=False):
    """Publishes courses/ as an instructor, registers a learner enrolled in `course` (with
    every lesson completed when `complete`, so none is locked); returns (access token, the
    course's lessons)."""
    subprocess.run(["target/release/cloudmaster-server", "--data-dir", os.path.join(work, "server"),
                    "create-user", "--email", "author@bench.local", "--name", "Author",
                    "--role", "instructor", "--password-stdin"],
                   input="bench-author-password\n", text=True, check=True, capture_output=True)
    author = os.path.join(work, "author")
    env = {"PATH": "/usr/bin:/bin", "HOME": work, "XDG_CONFIG_HOME": author,
           "XDG_DATA_HOME": author, "XDG_STATE_HOME": author,
           "CLOUDMASTER_CREDENTIALS": "file", "CLOUDMASTER_SERVER": base}
    for args, stdin in ((["login", "--email", "author@bench.local", "--password-stdin"],
                         "bench-author-password\n"),
                        (["publish", "courses", "--yes"], None)):
        subprocess.run(["target/release/cloudmaster", *args], input=stdin, env=env, text=True,
                       check=True, capture_output=True)
    learner = {"email": "learner@bench.local", "name": "Learner", "password": "bench-password-123"}
    call(base, "POST", "/api/v1/auth/register", learner)
    token = call(base, "POST", "/api/v1/auth/login",
                 {"email": learner["email"], "password": learner["password"]})["access_token"]
    call(base, "POST", f"/api/v1/courses/{course}/enrollment", token=token)
    detail = call(base, "GET", f"/api/v1/courses/{course}")
    lessons = [l for m in detail["modules"] for l in m["lessons"]]
    if complete:
        for lesson in lessons:
            call(base, "PUT", f"/api/v1/courses/{course}/lessons/{lesson['id']}/progress",
                 {"status": "completed"}, token=token)
    return token, lessons


def client_env(work, base, token, **extra):
    """The environment of a `cloudmaster` run as the learner, isolated in `work`."""
    env = {"PATH": "/usr/bin:/bin", "HOME": work, "XDG_CONFIG_HOME": work + "/config",
           "XDG_DATA_HOME": work + "/data", "XDG_STATE_HOME": work + "/state",
           "CLOUDMASTER_CREDENTIALS": "file", "CLOUDMASTER_SERVER": base,
           "CLOUDMASTER_TOKEN": token}
    env.update(extra)
    return env


def memory(pid):
    """(VmRSS, VmHWM) of `pid` in MB: resident now, and at its peak."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024.0
    return fields["VmRSS"], fields["VmHWM"]


def cpu_ms(pid):
    """User plus system CPU time `pid` used so far, in ms."""
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) * 1000.0 / CLOCK_TICKS


def idle_cpu(pid, seconds):
    """CPU time `pid` uses over the next `seconds`, in ms."""
    before = cpu_ms(pid)
    time.sleep(seconds)
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

    def shows(self, text):
        with self.lock:
            return text.encode() in self.output

    def wait_for(self, text, timeout=20.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.shows(text):
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
