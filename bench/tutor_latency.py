"""How long a streamed token takes from the model provider to the learner's terminal.

A local provider speaks OpenAI's streaming chat completions and sends the tokens t001, t002,
... at a known rate, noting when it sent each. The real cloudmaster-server relays them to the
real `cloudmaster tutor ask`, whose standard output this script reads as it arrives, noting
when each token shows up: the difference is the latency the tutor adds. The baseline, in the
same run, is this script reading the provider's stream directly (the loopback and Python's
own share of the figure).

Usage: python3 bench/tutor_latency.py WORK_DIR [RUNS] [TOKENS] [INTERVAL_MS]
"""
import http.server
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time

import learner

work = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
tokens = int(sys.argv[3]) if len(sys.argv) > 3 else 40
interval = (int(sys.argv[4]) if len(sys.argv) > 4 else 50) / 1000.0

sent = {}  # token -> monotonic time it was written to the socket


class Provider(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        self.rfile.read(length)
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        run = self.path.rsplit("run=", 1)[-1] if "run=" in self.path else "x"
        try:
            for n in range(1, tokens + 1):
                time.sleep(interval)
                token = f"t{n:03d} "
                chunk = {"object": "chat.completion.chunk",
                         "choices": [{"index": 0, "delta": {"content": token}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
                sent[token.strip()] = time.monotonic()
            done = {"object": "chat.completion.chunk", "choices": [],
                    "usage": {"prompt_tokens": 100, "completion_tokens": tokens}}
            self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


def serve_provider():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def read_tokens(fd, on_token):
    """Reads `fd` until EOF, calling on_token(token, time) for each token as it appears."""
    buffer, seen = "", set()
    while True:
        data = os.read(fd, 65536)
        now = time.monotonic()
        if not data:
            return
        buffer += data.decode(errors="replace")
        for token in re.findall(r"t\d{3}", buffer):
            if token not in seen:
                seen.add(token)
                on_token(token, now)
        buffer = buffer[-8:]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1))))]


def measure(label, start):
    """Runs `start()` `runs` times; returns the per-token latencies in ms."""
    latencies = []
    for _ in range(runs):
        sent.clear()
        arrived = {}
        fd, finish = start()
        read_tokens(fd, lambda token, at: arrived.setdefault(token, at))
        finish()
        for token, at in arrived.items():
            if token in sent:
                latencies.append((at - sent[token]) * 1000.0)
    if len(latencies) < runs * tokens * 0.9:
        sys.exit(f"{label}: only {len(latencies)} of {runs * tokens} tokens arrived")
    return latencies


def main():
    port = serve_provider()
    provider_url = f"http://127.0.0.1:{port}/v1"

    def direct():
        sock = socket.create_connection(("127.0.0.1", port))
        body = b"{}"
        sock.sendall(b"POST /v1/chat/completions HTTP/1.0\r\ncontent-length: 2\r\n\r\n" + body)
        return sock.fileno(), sock.close

    server_env = {"CLOUDMASTER_TUTOR_PROVIDER": "openai",
                  "CLOUDMASTER_TUTOR_BASE_URL": provider_url,
                  "CLOUDMASTER_TUTOR_MODEL": "bench",
                  "CLOUDMASTER_TUTOR_DAILY_TOKENS_FREE": "1000000000"}
    server, base = learner.start_server(work, server_env)
    try:
        token, _ = learner.enrolled_learner(work, base, "cloud-foundations")
        cli_env = learner.client_env(work, base, token)

        def through_cli():
            proc = subprocess.Popen(
                ["target/release/cloudmaster", "tutor", "ask", "How do I pick a region?",
                 "--course", "cloud-foundations"],
                env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

            def finish():
                proc.stdout.close()
                if proc.wait() != 0:
                    sys.exit("cloudmaster tutor ask failed")
            return proc.stdout.fileno(), finish

        baseline = measure("baseline", direct)
        tutor = measure("tutor", through_cli)
    finally:
        server.terminate()
        server.wait()

    print(f"{runs} runs of {tokens} tokens, one every {interval * 1000:.0f} ms\n")
    print("| path | tokens | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|")
    for label, values in (("provider → this script (baseline)", baseline),
                          ("provider → server → `cloudmaster tutor ask`", tutor)):
        print(f"| {label} | {len(values)} | {statistics.median(values):.2f} | "
              f"{percentile(values, 99):.2f} | {max(values):.2f} |")
    worst = max(tutor)
    print(f"\nslowest token through the tutor: {worst:.2f} ms (target: under 100 ms)")
    if worst >= 100:
        sys.exit(1)


main()
