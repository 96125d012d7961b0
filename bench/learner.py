"""What the client benchmarks share: a release cloudmaster-server on SQLite serving the
bundled courses, and a learner enrolled in one of them."""
import json
import os
import subprocess
import time
import urllib.request


def call(base, method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(req, data) as resp:
        text = resp.read()
        return json.loads(text) if text else None


def start_server(work, env=None):
    """Starts the release server in `work` (extra environment `env`); returns (process, URL)."""
    url_file = os.path.join(work, "server.url")
    server = subprocess.Popen(
        ["target/release/cloudmaster-server", "--listen", "127.0.0.1:0", "--url-file", url_file,
         "--data-dir", os.path.join(work, "server")],
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
