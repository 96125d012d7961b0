"""Seeds a benchmark server: publishes courses/ as an instructor, registers learners,
enrolls them, and writes the wrk Lua scripts that rotate through their tokens."""
import json
import subprocess
import sys
import urllib.request

base, work, learners = sys.argv[1], sys.argv[2], int(sys.argv[3])


def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(req, data) as resp:
        text = resp.read()
        return json.loads(text) if text else None


def cli(*args, stdin=None):
    env = {
        "PATH": "/usr/bin:/bin",
        "XDG_CONFIG_HOME": work + "/config",
        "XDG_DATA_HOME": work + "/data",
        "XDG_STATE_HOME": work + "/state",
        "CLOUDMASTER_CREDENTIALS": "file",
        "CLOUDMASTER_SERVER": base,
    }
    subprocess.run(["target/release/cloudmaster", *args], input=stdin, env=env,
                   check=True, capture_output=True, text=True)


cli("login", "--email", "publisher@bench.local", "--password-stdin",
    stdin="bench-publisher-password\n")
cli("publish", "courses", "--yes")

course = call("GET", "/api/v1/courses/cloud-foundations")
lessons = [l["id"] for m in course["modules"] for l in m["lessons"]]

tokens = []
for i in range(learners):
    email = f"learner{i}@bench.local"
    call("POST", "/api/v1/auth/register",
         {"email": email, "name": f"Learner {i}", "password": "bench-password-123"})
    pair = call("POST", "/api/v1/auth/login", {"email": email, "password": "bench-password-123"})
    tokens.append(pair["access_token"])
    call("POST", "/api/v1/courses/cloud-foundations/enrollment", token=tokens[-1])
    # Modules unlock in order; completing every lesson first lets the benchmark write
    # progress to any lesson (completion is sticky, so the writes stay full upserts).
    for lesson in lessons:
        call("PUT", f"/api/v1/courses/cloud-foundations/lessons/{lesson}/progress",
             {"status": "completed"}, token=tokens[-1])

lua_tokens = "{" + ",".join(json.dumps(t) for t in tokens) + "}"
lua_lessons = "{" + ",".join(json.dumps(l) for l in lessons) + "}"
with open(work + "/get.lua", "w") as f:
    f.write('wrk.method = "GET"\n')
# Enrolling again is the idempotent path a retrying client takes; each request is a
# different learner so the writes do not collapse onto one row.
with open(work + "/enroll.lua", "w") as f:
    f.write(f"""
local tokens = {lua_tokens}
local n = 0
request = function()
  n = n + 1
  local headers = {{ ["authorization"] = "Bearer " .. tokens[(n % #tokens) + 1] }}
  return wrk.format("POST", nil, headers, nil)
end
""")
# Each request records progress for a different (learner, lesson) pair, cycling through all.
with open(work + "/progress.lua", "w") as f:
    f.write(f"""
local tokens = {lua_tokens}
local lessons = {lua_lessons}
local n = 0
request = function()
  n = n + 1
  local t = tokens[(n % #tokens) + 1]
  local l = lessons[(math.floor(n / #tokens) % #lessons) + 1]
  local headers = {{ ["authorization"] = "Bearer " .. t, ["content-type"] = "application/json" }}
  local body = '{{"status":"started","position":' .. (n % 500) .. '}}'
  return wrk.format("PUT", wrk.path .. "/" .. l .. "/progress", headers, body)
end
""")
