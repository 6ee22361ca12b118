"""The playground's server under a burst of hostile requests, as the command runs it (``deepstep playground`` in a
process of its own, over real HTTP on 127.0.0.1): its CPU time and its memory (RSS) are measured before and after,
and both stay within what the bounds allow; the burst gets no 500, and once it is over the server is idle (work
whose client went away has stopped) and answers at once."""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("starlette", reason="the playground extra: pip install 'deepstep[playground]'")
pytest.importorskip("uvicorn")
psutil = pytest.importorskip("psutil")
playground = pytest.importorskip("deepstep.playground")

BIG = {"points": 20_000, "hidden": [64] * 6}
SLOW = {**BIG, "batch_size": 1, "hidden_activation": "relu", "learning_rate": 0.01, "optimizer": "adam"}


class Command:
    """``python -m deepstep playground --port 0``, its address and the token of its page."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "deepstep", "playground", "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        self.port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", line).group(1))
        status, _, page = self.request("GET", "/", token=False)
        assert status == 200
        self.token = re.search(rb'<meta name="deepstep-token" content="([^"]+)">', page).group(1).decode()
        self.process = psutil.Process(self.proc.pid)

    def request(self, method, path, body=None, headers=None, token=True):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = {"Content-Type": "application/json", **({playground.TOKEN_HEADER: self.token} if token else {}),
                **(headers or {})}
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        try:
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type") or "", response.read()
        finally:
            connection.close()

    def leave_early(self, path, body, after=0.2):
        """Send a request and hang up before the answer."""
        data = json.dumps(body).encode()
        client = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        client.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Type: application/json\r\n"
                       f"{playground.TOKEN_HEADER}: {self.token}\r\nContent-Length: {len(data)}\r\n\r\n".encode()
                       + data)
        time.sleep(after)
        client.close()
        return 0, "", b""

    def huge_upload(self):
        client = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        client.sendall(f"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Type: "
                       f"application/json\r\n{playground.TOKEN_HEADER}: {self.token}\r\nContent-Length: "
                       f"{100 * 1024 * 1024}\r\n\r\n".encode() + b'{"dataset": "csv", "csv": "' + b"1" * 65536)
        answer = client.recv(4096)
        client.close()
        return int(answer.split(b" ")[1]), "", answer

    def cpu(self) -> float:
        times = self.process.cpu_times()
        return times.user + times.system

    def rss(self) -> int:
        return self.process.memory_info().rss

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGINT)
        _, err = self.proc.communicate(timeout=20)
        return err


def test_a_burst_of_hostile_requests_costs_bounded_cpu_and_memory():
    server = Command()
    try:
        # warm up: one ordinary session, trained, drawn, explained (imports and NumPy's buffers are in place)
        status, _, created = server.request("POST", "/api/sessions", {"points": 400})
        sid = json.loads(created)["id"]
        assert server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 50, "explain": True})[0] == 200
        status, _, created = server.request("POST", "/api/sessions", SLOW)
        assert status == 201
        slow_id = json.loads(created)["id"]
        status, _, created = server.request("POST", "/api/sessions", BIG)
        assert status == 201
        big_id = json.loads(created)["id"]
        time.sleep(0.3)
        rss_before, cpu_before = server.rss(), server.cpu()

        deep = b"[" * 100_000 + b"]" * 100_000
        calls = []
        calls += [lambda: server.request("POST", "/api/sessions", deep)] * 30
        calls += [lambda: server.request("POST", f"/api/sessions/{sid}/train", b'{"iterations":' + deep + b"}")] * 10
        calls += [lambda: server.request("POST", "/api/sessions", b'{"points": 20}',
                                         {"Content-Type": "text/plain"}, token=False)] * 10
        calls += [lambda: server.request("POST", "/api/sessions", b'{"points": 20}',
                                         {"Content-Type": "text/plain"})] * 10
        calls += [lambda: server.request("POST", "/api/sessions", {"points": 20}, {"Host": "evil.example"})] * 20
        calls += [lambda: server.request("DELETE", f"/api/sessions/{sid}", token=False)] * 10
        calls += [lambda: server.request("GET", "/../../etc/passwd")] * 10
        calls += [server.huge_upload] * 6
        calls += [lambda: server.request("POST", "/api/sessions", SLOW)] * 2  # bounded creation
        calls += [lambda: server.request("POST", f"/api/sessions/{slow_id}/train", {"iterations": 1000})] * 2
        calls += [lambda: server.request("POST", f"/api/sessions/{big_id}/train", {"iterations": 1000})] * 2
        calls += [lambda: server.leave_early(f"/api/sessions/{slow_id}/train", {"iterations": 1000})] * 3
        calls += [lambda: server.request("POST", "/api/sessions", {"hidden_activation": "relu",
                                                                  "learning_rate": 1e6})] * 2
        t0 = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda call: call(), calls))
        wall = time.monotonic() - t0
        statuses = sorted({status for status, _, _ in answers})
        assert all(status < 500 or status == 503 for status in statuses), statuses
        assert not any(b"Traceback" in payload for _, _, payload in answers)
        assert {400, 403, 404, 409, 413, 415}.issubset(statuses), statuses

        # once the burst is answered the server is idle: the trainings whose clients left have stopped
        time.sleep(1.0)
        idle_from = server.cpu()
        time.sleep(1.0)
        assert server.cpu() - idle_from < 0.3, "the server went on working after the burst"
        t1 = time.monotonic()
        assert server.request("GET", f"/api/sessions/{sid}/state")[0] == 200 and time.monotonic() - t1 < 2.0

        cpu = server.cpu() - cpu_before
        rss = server.rss() - rss_before
        # the heavy requests: 2 creations (a few seconds together), 4 trains of at most TRAIN_SECONDS each and 3 that
        # stop as their clients leave; the 100+ refusals cost next to nothing.  Unbounded, the trains alone were
        # ten minutes of CPU each.
        budget = 2 * 3.0 + 4 * (playground.TRAIN_SECONDS + 0.5) + 3 * 1.0 + 4.0
        assert cpu < budget, f"{cpu:.1f} s of CPU for the burst (bound {budget:.1f} s)"
        assert wall < 30, wall
        assert rss < 150 * 1024 * 1024, f"RSS grew by {rss / 2**20:.0f} MiB"
        print(f"burst of {len(calls)} requests: {wall:.1f} s, server CPU {cpu:.1f} s, RSS {rss / 2**20:+.0f} MiB")
    finally:
        err = server.stop()
    assert "Traceback" not in err, err[-2000:]
