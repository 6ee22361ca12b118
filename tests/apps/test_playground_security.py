# ruff: noqa: F811  (the server fixture is imported from test_playground_api, one definition for all three files)
"""Who may ask the playground: only its own page.  Over real HTTP on 127.0.0.1: a foreign Host (DNS rebinding) gets
nothing, not even the page; an /api request without the server's token, from another origin or site, or a POST
that is not JSON (a form or a `text/plain` body, which any web page can send) is refused before it does anything;
unknown paths are 404; a non-loopback --host prints a warning."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys

import pytest

pytest.importorskip("starlette", reason="the playground extra: pip install 'deepstep[playground]'")
pytest.importorskip("uvicorn")
playground = pytest.importorskip("deepstep.playground")

from test_playground_api import Server, server  # noqa: E402, F401 - after the skips; the module's server


def make_session(server):
    status, body = server.request("POST", "/api/sessions", {"points": 40})
    assert status == 201, body
    return body["id"]


def test_the_page_holds_the_servers_token_and_forbids_framing(server):
    status, page = server.request("GET", "/", headers={"Content-Type": None, playground.TOKEN_HEADER: None})
    assert status == 200
    token = re.search(rb'<meta name="deepstep-token" content="([^"]+)">', page).group(1).decode()
    assert token == server.token and len(token) >= 32
    other = playground.create_app()
    assert other.state.token != server.token  # one per server


def test_security_headers_on_every_answer(server):
    import http.client

    for path in ("/", "/api/sessions/nope/state", "/nowhere"):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.request("GET", path, headers={playground.TOKEN_HEADER: server.token})
        response = connection.getresponse()
        response.read()
        connection.close()
        assert response.getheader("X-Frame-Options") == "DENY", path
        assert "frame-ancestors 'none'" in response.getheader("Content-Security-Policy"), path
        assert response.getheader("X-Content-Type-Options") == "nosniff", path
        assert response.getheader("Cache-Control") == "no-store", path


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "localhost.evil.example:{port}",
                                  "127.0.0.1:{port}.evil.example", ""])
def test_a_foreign_host_gets_nothing(server, host):
    """DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1 sends Host: evil.example."""
    before = len(server.sessions)
    host = host.format(port=server.port)
    status, body = server.request("GET", "/", headers={"Host": host})
    assert status == 403 and body["error"].startswith("Host: expected"), body
    status, body = server.request("POST", "/api/sessions", {"points": 20}, headers={"Host": host})
    assert status == 403 and body["error"].startswith("Host:")
    assert len(server.sessions) == before


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}"])
def test_the_loopback_names_of_the_served_address_are_taken(server, host):
    status, page = server.request("GET", "/", headers={"Host": host.format(port=server.port)})
    assert status == 200 and b"deepstep playground" in page


def test_a_request_without_the_token_does_nothing(server):
    sid = make_session(server)
    before = len(server.sessions)
    for token in (None, "", "x" * 43, server.token[:-1]):
        status, body = server.request("POST", "/api/sessions", {"points": 20}, headers={playground.TOKEN_HEADER: token})
        assert status == 403 and body["error"].startswith(playground.TOKEN_HEADER), body
        status, body = server.request("DELETE", f"/api/sessions/{sid}", headers={playground.TOKEN_HEADER: token})
        assert status == 403
        status, body = server.request("POST", f"/api/sessions/{sid}/close", headers={playground.TOKEN_HEADER: token})
        assert status == 403
        status, body = server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 5},
                                      headers={playground.TOKEN_HEADER: token})
        assert status == 403
        status, body = server.request("GET", f"/api/sessions/{sid}/model", headers={playground.TOKEN_HEADER: token})
        assert status == 403
    assert len(server.sessions) == before
    status, state = server.request("GET", f"/api/sessions/{sid}/state")
    assert status == 200 and state["iteration"] == 0  # not trained, not ended


def test_a_cross_site_form_post_is_refused(server):
    """What any web page can send without a preflight: text/plain or a form, from its own origin."""
    before = len(server.sessions)
    cases = [
        ({"Content-Type": "text/plain", playground.TOKEN_HEADER: None, "Origin": "http://evil.example"}, 403,
         "Origin"),
        ({"Content-Type": "text/plain", playground.TOKEN_HEADER: None}, 403, playground.TOKEN_HEADER),
        ({"Content-Type": "application/json", "Origin": "null"}, 403, "Origin"),
        ({"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, 403, "Sec-Fetch-Site"),
        ({"Content-Type": "application/json", "Sec-Fetch-Site": "same-site"}, 403, "Sec-Fetch-Site"),
        ({"Content-Type": "text/plain"}, 415, "Content-Type"),  # (even with the token: a POST is JSON)
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415, "Content-Type"),
        ({"Content-Type": "multipart/form-data; boundary=x"}, 415, "Content-Type"),
        ({"Content-Type": None}, 415, "Content-Type"),
    ]
    for headers, status, named in cases:
        got, body = server.request("POST", "/api/sessions", raw=json.dumps({"points": 20}).encode(), headers=headers)
        assert got == status and body["error"].startswith(named + ":"), (headers, body)
    assert len(server.sessions) == before


def test_the_pages_own_origin_is_taken(server):
    origin = f"http://127.0.0.1:{server.port}"
    status, body = server.request("POST", "/api/sessions", {"points": 20},
                                  headers={"Origin": origin, "Sec-Fetch-Site": "same-origin"})
    assert status == 201 and body["state"]["iteration"] == 0
    status, body = server.request("POST", "/api/sessions", {"points": 20},
                                  headers={"Origin": f"http://localhost:{server.port}",
                                           "Host": f"localhost:{server.port}"})
    assert status == 201
    status, body = server.request("POST", "/api/sessions", {"points": 20},
                                  headers={"Origin": f"http://localhost:{server.port}"})  # Host 127.0.0.1: not its own
    assert status == 403 and body["error"].startswith("Origin:")


def test_two_host_headers_are_refused(server):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.putrequest("GET", "/", skip_host=True)
    connection.putheader("Host", f"127.0.0.1:{server.port}")
    connection.putheader("Host", "evil.example")
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.status == 400 and b"deepstep" not in body  # (uvicorn's h11 refuses it before the app)


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/playground.html", 404), ("GET", "/etc/passwd", 404), ("GET", "/../../etc/passwd", 404),
    ("GET", "/api", 404), ("GET", "/api/sessions", 405), ("PUT", "/api/sessions", 405),
    ("GET", "/api/sessions/x/train", 405), ("OPTIONS", "/api/sessions", 405), ("GET", "/favicon.ico", 404),
    ("POST", "/", 405),
])
def test_only_its_own_page_and_api_are_served(server, method, path, status):
    got, body = server.request(method, path)
    assert got == status and isinstance(body, dict) and body["error"].startswith(("path:", "method:")), body


def test_a_host_other_machines_reach_is_warned_about():
    proc = subprocess.Popen([sys.executable, "-m", "deepstep", "playground", "--host", "0.0.0.0", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        warning = proc.stderr.readline()
        line = proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert line.startswith("deepstep playground at http://0.0.0.0:")
    assert warning.startswith("deepstep playground: warning: listening on every network interface")
    assert "anyone who can reach this machine" in warning and "--host 127.0.0.1" in warning
    assert proc.returncode == 0 and "Traceback" not in err


def test_the_loopback_address_gets_no_warning():
    sock = playground.listen("127.0.0.1", 0)
    try:
        assert playground.exposure_warning(sock) is None
    finally:
        sock.close()


def test_two_tokens_are_refused_and_other_repeated_headers_are_not(server):
    import http.client

    def ask(*headers):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.putrequest("GET", "/api/sessions/nope/state")
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        body = json.loads(response.read())
        connection.close()
        return response.status, body

    status, body = ask((playground.TOKEN_HEADER, server.token), (playground.TOKEN_HEADER, "guess"))
    assert status == 400 and body["error"].startswith(playground.TOKEN_HEADER.lower() + ":")
    status, body = ask((playground.TOKEN_HEADER, server.token), ("Accept", "text/html"), ("Accept", "*/*"))
    assert status == 404 and body["error"].startswith("session:")  # through the checks to the API
