#!/usr/bin/python3
"""A stand-in for `hookscope` that checks http_differential.py itself.

    http_differential.py --hookscope tests/differential/reference_listener.py --streams 2000

must report 0 disagreements: this listener frames requests with h11 exactly as the harness's
judge does (the same two departures: HTTP/1.0 keep-alive, empty lines before a request line
skipped), applies the same limits and answers and stores the way README.md says `serve`
does. A disagreement against it is a bug of the harness (a timeout too short, an answer read
wrongly, a row mapped to the wrong request), not of HookScope.

It understands only what the harness runs: `endpoint add NAME --path PATH ... --db FILE` and
`serve --listen 127.0.0.1:0 --db FILE --max-body N --idle-timeout S ...`. Standard library and
h11 only.
"""

import json
import re
import socket
import sqlite3
import sys
import threading
import time

import h11

MAX_HEADER_COUNT = 100
MAX_HEADER_BYTES = 64 * 1024
KEPT_BODY_BYTES = 64 * 1024


def option(args, name, default=None):
    return args[args.index(name) + 1] if name in args else default


def open_db(path):
    db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE IF NOT EXISTS endpoints (path TEXT NOT NULL)")
    db.execute("""CREATE TABLE IF NOT EXISTS deliveries (
        id INTEGER PRIMARY KEY, method TEXT NOT NULL, path TEXT NOT NULL,
        http_version TEXT NOT NULL, headers BLOB NOT NULL, body BLOB NOT NULL,
        response_status INTEGER NOT NULL, truncated INTEGER NOT NULL DEFAULT 0)""")
    return db


def head_fields(head):
    """The header fields of a head h11 accepted, names and values exactly as sent."""
    lines = re.split(rb"\r?\n", head)[1:]
    fields = []
    for line in lines:
        if not line:
            continue
        if line[:1] in (b" ", b"\t"):
            name, value = fields[-1]
            fields[-1] = (name, (value + b" " + line.lstrip(b" \t")).strip(b" \t"))
            continue
        name, _, value = line.partition(b":")
        fields.append((name, value.strip(b" \t")))
    return fields


class Server:
    def __init__(self, db_path, max_body, idle):
        self.db = open_db(db_path)
        self.lock = threading.Lock()
        self.paths = [row[0].encode() for row in self.db.execute("SELECT path FROM endpoints")]
        self.max_body = max_body
        self.idle = idle

    def covered(self, target):
        path = target.split(b"?", 1)[0]
        return any(path == p or path.startswith(p + b"/") for p in self.paths)

    def store(self, method, target, version, fields, body, status, truncated):
        blob = b"".join(n + b": " + v + b"\r\n" for n, v in fields)
        with self.lock:
            cursor = self.db.execute(
                "INSERT INTO deliveries (method, path, http_version, headers, body, "
                "response_status, truncated) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (method.decode("latin-1"), target.decode("latin-1"), version, blob, body, status,
                 int(truncated)))
            return cursor.lastrowid

    def serve(self, sock):
        sock.settimeout(self.idle)
        buf = b""
        try:
            while True:
                answer, buf, close = self.next_request(sock, buf)
                if answer is None:
                    return
                sock.sendall(answer)
                if close:
                    linger(sock)
                    return
        except (OSError, socket.timeout):
            pass
        finally:
            sock.close()

    def receive(self, sock, buf):
        try:
            data = sock.recv(262144)
        except socket.timeout:
            return None
        if not data:
            return None
        return buf + data

    def next_request(self, sock, buf):
        """Returns (answer bytes or None to close silently, rest of buffer, close after)."""
        while True:
            stripped = buf
            while stripped.startswith(b"\r\n") or stripped.startswith(b"\n"):
                stripped = stripped[2 if stripped.startswith(b"\r\n") else 1:]
            conn = h11.Connection(h11.SERVER, max_incomplete_event_size=1 << 26)
            if stripped:  # (no data at all would tell h11 the connection ended)
                conn.receive_data(stripped)
            request, body, head = None, bytearray(), b""
            try:
                while stripped:
                    event = conn.next_event()
                    if event is h11.NEED_DATA:
                        break
                    if isinstance(event, h11.Request):
                        request = event
                        head = stripped[: len(stripped) - len(conn.trailing_data[0])]
                        fields = head_fields(head)
                        size = sum(len(n) + len(v) for n, v in fields)
                        if len(fields) > MAX_HEADER_COUNT or size > MAX_HEADER_BYTES:
                            return refusal(431), b"", True
                        length = event.headers and dict(
                            (n.lower(), v) for n, v in event.headers).get(b"content-length")
                        chunked = any(n.lower() == b"transfer-encoding" for n, v in event.headers)
                        if length is not None and not chunked and int(length) > self.max_body:
                            return self.too_large(sock, request, fields, stripped, head,
                                                  int(length))
                    elif isinstance(event, h11.Data):
                        body += event.data
                        if len(body) > self.max_body:
                            return self.too_large(sock, request, fields, stripped, head, None,
                                                  bytes(body))
                    elif isinstance(event, h11.EndOfMessage):
                        answer, close = self.answer(request, fields, bytes(body))
                        return answer, conn.trailing_data[0], close
            except h11.RemoteProtocolError:
                return refusal(400), b"", True
            more = self.receive(sock, buf)
            if more is None:
                if buf.strip(b"\r\n"):
                    return refusal(408), b"", True
                return None, b"", True
            buf = more

    def too_large(self, sock, request, fields, stripped, head, length, body=None):
        if body is None:
            body = stripped[len(head):]
            deadline = time.monotonic() + self.idle
            while len(body) < min(length, KEPT_BODY_BYTES) and time.monotonic() < deadline:
                more = self.receive(sock, body)
                if more is None:
                    break
                body = more
        self.store(request.method, request.target, request.http_version.decode(), fields,
                   bytes(body[:KEPT_BODY_BYTES]), 413, True)
        return refusal(413), b"", True

    def answer(self, request, fields, body):
        status = 200 if self.covered(request.target) else 404
        rid = self.store(request.method, request.target, request.http_version.decode(), fields,
                         body, status, False)
        tokens = [t.strip().lower() for n, v in request.headers if n.lower() == b"connection"
                  for t in v.split(b",")]
        close = b"close" in tokens or (request.http_version < b"1.1" and
                                       b"keep-alive" not in tokens)
        content = json.dumps({"stored": True, "delivery": rid}).encode() + b"\n"
        answer = (b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                  b"X-HookScope-Delivery: %d\r\n" % (status, b"OK" if status == 200 else
                                                      b"Not Found", rid))
        if close:
            answer += b"Connection: close\r\n"
        answer += b"Content-Length: %d\r\n\r\n" % len(content)
        if request.method != b"HEAD":
            answer += content
        return answer, close


def refusal(status):
    text = b"refused\n"
    return (b"HTTP/1.1 %d Refused\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n%s" % (status, len(text), text))


def linger(sock):
    """Half-closes, then drops what the client still sends, so the answer is not reset."""
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(0.5)
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and sock.recv(65536):
            pass
    except OSError:
        pass


def main(args):
    db_path = option(args, "--db")
    if args[:2] == ["endpoint", "add"]:
        db = open_db(db_path)
        db.execute("INSERT INTO endpoints (path) VALUES (?)", (option(args, "--path"),))
        print("Added endpoint %s" % args[2])
        return 0
    if args[:1] != ["serve"]:
        print("reference_listener: only `endpoint add` and `serve`", file=sys.stderr)
        return 2
    server = Server(db_path, int(option(args, "--max-body", "10485760")),
                    float(option(args, "--idle-timeout", "30")))
    host, port = option(args, "--listen", "127.0.0.1:8484").rsplit(":", 1)
    listener = socket.create_server((host, int(port)), backlog=256)
    print("listening on http://%s:%d" % (host, listener.getsockname()[1]), flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=server.serve, args=(client,), daemon=True).start()


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(0)
