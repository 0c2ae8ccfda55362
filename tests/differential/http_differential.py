#!/usr/bin/python3
"""Differential test of `hookscope serve`'s HTTP/1.1 framing against h11.

Usage:
    http_differential.py --hookscope BINARY [--streams N] [--seed S] [--max-body BYTES]
                         [--jobs J] [--keep] [--only STREAM] [--examples K] [--show TEXT]
                         [--generator-check]

Needs Debian's python3-h11 (0.14); run it with /usr/bin/python3. Exits 0 when HookScope
agrees with h11 on every stream, 1 on any disagreement, 77 when h11 cannot be imported
and 2 when the harness itself cannot run (serve does not start, ...).

What it does
------------
It starts `hookscope serve --listen 127.0.0.1:0 --db FILE --max-body BYTES --idle-timeout 1`
on a fresh database in a temporary directory, with one endpoint covering /hooks (so a
request to /hooks or /hooks/... is answered 200 and any other is answered 404), and sends it
N byte streams, each on its own TCP connection, 8 connections at a time. Every stream comes
from its own random generator seeded with (S, stream number), so `--seed S --only K`
replays stream K of a run exactly and prints everything about it.

A stream is 1 to 5 pipelined requests (methods, targets with queries and percent escapes,
headers of every legal shape, duplicates, obs-text, empty values; bodies by Content-Length,
chunked with extensions and trailers, empty, binary, up to the body limit and over it),
written in one write or split at random points into several (sometimes with short pauses),
and, in about half of the streams, one framing trick: whitespace before the colon,
duplicate or conflicting Content-Length, Content-Length with Transfer-Encoding, obfuscated
Transfer-Encoding, obs-fold, bare LF line endings, invalid chunk sizes and chunk data,
HTTP/1.0 with and without keep-alive, Connection: close in the middle of a pipeline,
Expect: 100-continue, HTTP/0.9 request lines, odd versions, methods and targets, over-long
request lines and headers, too many headers, Upgrade: websocket, a request followed by
garbage, a request smuggled inside a body (alone, or framed differently by Content-Length
and Transfer-Encoding), a missing or repeated Host, a request followed by one whose body is
over the limit, bodies of exactly the limit and one byte over. Every request carries a
header `X-Diff-Id: STREAM-N` (a request hidden in a body carries `STREAM-N-inner`).

The judge is h11 as a server (h11.Connection(h11.SERVER)). It decides which requests a
stream holds, in what order, with what body, and where the stream stops being HTTP. The
generator keeps a model of each request as written (header names, values and order exactly
as sent, the body before chunked encoding); where h11 accepts a request, the model must
agree with h11's reading of it, or the harness counts a generator bug and trusts h11.
h11 is used with two departures that the RFC asks of a server and h11 does not do:
HTTP/1.0 with `Connection: keep-alive` keeps the connection (h11 closes it), and empty
lines before a request line are skipped (RFC 9112 section 2.2; h11 refuses them). A server
that refuses those instead is only stricter. h11's own head size limit is lifted: the limits
that apply are HookScope's (--max-body, 100 headers, 64 KiB of names and values).

For each stream, HookScope must have answered exactly the requests h11 accepted, in order:
200 or 404 (by the path), 413 for a body over --max-body (then nothing more), 431 (or 414,
400) for a head over HookScope's limits (a very long target may also be accepted). Where h11
refuses the stream at request k, requests before k are answered and request k is answered
4xx or the connection closed, and nothing after it is answered. After Connection: close or
HTTP/1.0 without keep-alive, the connection is closed and nothing more answered. HookScope
may be stricter than h11 (refuse, 4xx and close, a request h11 accepts): that is counted as
"stricter" and allowed. Anything looser or different is a disagreement.

Then the database (read directly, read-only): every request answered 200 or 404 is the row
named by the answer (the `delivery` in the JSON body and the X-HookScope-Delivery header,
which must agree), stored exactly once, with its method, target, HTTP version, header list
(names exactly as sent, values without the surrounding whitespace, which is not part of a
field value, obs-fold unfolded; in order, duplicates kept; trailers may be appended), body
(decoded from chunked), response_status equal to the status answered, not truncated. A
request answered 413 is stored once, truncated (its body a prefix of the one sent), with
response_status 413. A request refused otherwise may be stored, with the status it was
answered. Nothing else is stored: a row for a request never answered, or for a marker that
was only ever inside a body, is a disagreement.

It prints up to --examples disagreements in full (the stream, its bytes, what h11 read,
what HookScope did and each difference), the disagreements and the stricter refusals by
category ("what happened [the stream's trick]") with counts, and last the line
`N streams, R requests, A answered, S stored, X stricter, D disagreements`.

Answers are read strictly (status line, headers, Content-Length body; an answer to HEAD has
no body, and one that carries a body anyway is a disagreement too). A refusal by HookScope
(400, 413, 431, ...) is also checked in the database: a refused request may be stored, but
only with the status it was answered.

A long run: http_differential.py --hookscope build/dev/app/hookscope --streams 200000 --seed S
(about half an hour on 2 cores). Streams are generated and judged as they go, and the
database is checked as it fills, so memory stays small. `--seed S --only K` replays stream K;
`--show TEXT` lists examples of the categories containing TEXT (`--show stricter` those of
the stricter refusals); `--generator-check` judges the streams with h11 without sending them
and counts generator bugs, which must be 0 (a stream without a trick must be valid to h11).

The harness's own check: `--hookscope tests/differential/reference_listener.py`, a listener
built on h11 that does what README.md says serve does, must give 0 disagreements (it does,
for 5,000 streams of seeds 1 and 2, and 2,000 of seed 3).

Limitations: streams are sent in at most a few writes with pauses of a few milliseconds, so
timing races of the listener beyond that are out of reach; a stream's answers are read for
at most 2 s (a server that waits for more bytes where h11 refused is reported as such); the
connection is never half-closed by the client.
"""

import argparse
import concurrent.futures
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict

try:
    import h11
except ImportError:  # pragma: no cover
    print("h11 is not installed (Debian: python3-h11); skipping", file=sys.stderr)
    sys.exit(77)

ENDPOINT_PATH = b"/hooks"
MAX_HEADER_COUNT = 100
MAX_HEADER_BYTES = 64 * 1024
KEPT_BODY_BYTES = 64 * 1024
STREAM_DEADLINE = 2.0  # seconds to read a stream's answers after the last write
GRACE_OPEN = 0.03  # after the last expected answer, on a connection h11 keeps open
SETTLE = 1.5  # seconds after a stream ends before its rows are checked

# --------------------------------------------------------------------------------------------
# The generator: a model of each request, exactly as written.
# --------------------------------------------------------------------------------------------

TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
PCHAR = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@"
VALUE_CHARS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
)

TEXT_TABLE = bytes(ord(VALUE_CHARS[i % len(VALUE_CHARS)]) for i in range(256))
# Header values: visible characters, some spaces and tabs inside, and obs-text (0x80-0xff).
VALUE_TABLE = bytes(ord(VALUE_CHARS[i % len(VALUE_CHARS)]) if i % 16 else (0x20, 0x09)[i % 32 // 16]
                    for i in range(256))
VALUE_TABLE_OBS = bytes(0x80 + i % 128 if i % 13 == 0 else VALUE_TABLE[i] for i in range(256))


class Header:
    """One header line as written: name, [before_colon] ':' pre value post, folds."""

    def __init__(self, name, value, pre=b" ", post=b"", before_colon=b"", folds=()):
        self.name = name
        self.value = value
        self.pre = pre
        self.post = post
        self.before_colon = before_colon
        self.folds = list(folds)  # continuation lines, each starting with SP or HTAB

    def raw(self, eol):
        out = self.name + self.before_colon + b":" + self.pre + self.value + self.post
        for fold in self.folds:
            out += eol + fold
        return out + eol

    def h11_value(self):
        """The value as h11 (and RFC 9112 5.2) reads it: unfolded with one space."""
        value = self.value
        for fold in self.folds:
            value = value + b" " + fold.lstrip(b" \t")
        return value.strip(b" \t")

    def accepted_values(self):
        """What a server may store: obs-fold replaced by SP (RFC 9112 5.2)."""
        values = {self.h11_value()}
        if self.folds:
            joined_sp = self.value + self.post
            joined_none = self.value + self.post
            for fold in self.folds:
                joined_sp += b" " + fold
                joined_none += fold
            values.add(joined_sp.strip(b" \t"))
            values.add(joined_none.strip(b" \t"))
        return values


class Request:
    def __init__(self, marker):
        self.marker = marker
        self.method = b"POST"
        self.target = b"/hooks/"
        self.version = b"HTTP/1.1"
        self.headers = []
        self.body = b""
        self.framing = "none"  # none | cl | chunked
        self.chunks = []  # (size_text, ext, data, data_suffix)
        self.last_chunk = (b"0", b"")
        self.trailers = []
        self.eol = b"\r\n"
        self.chunk_eol = b"\r\n"
        self.prefix = b""  # bytes before the request line (empty lines)
        self.line_override = None
        self.raw_override = None
        self.inner_markers = []  # markers of requests hidden in this body
        self.trust_h11 = False  # the trick leaves the framing to h11: no model to compare

    def version_text(self):
        return self.version[5:].decode("latin-1") if self.version.startswith(b"HTTP/") else ""

    def encoded_body(self):
        if self.framing != "chunked":
            return self.body
        out = b""
        for size, ext, data, suffix in self.chunks:
            out += size + ext + self.chunk_eol + data + suffix
        out += self.last_chunk[0] + self.last_chunk[1] + self.chunk_eol
        for trailer in self.trailers:
            out += trailer.raw(self.chunk_eol)
        out += self.chunk_eol
        return out

    def raw(self):
        if self.raw_override is not None:
            return self.prefix + self.raw_override
        line = self.line_override
        if line is None:
            line = self.method + b" " + self.target + b" " + self.version
        out = self.prefix + line + self.eol
        for header in self.headers:
            out += header.raw(self.eol)
        out += self.eol
        return out + self.encoded_body()

    def header(self, name):
        for header in self.headers:
            if header.name.lower() == name.lower():
                return header
        return None


def random_token(rng, low=1, high=12, chars=TCHAR):
    return "".join(rng.choices(chars, k=rng.randint(low, high))).encode()


def random_header_name(rng):
    r = rng.random()
    if r < 0.5:
        base = rng.choice(["X-Request-Id", "X-Event", "User-Agent", "Accept", "X-Signature",
                           "X-Hook-Timestamp", "Cache-Control", "X-Forwarded-For",
                           "Accept-Encoding", "X_Under_Score", "x-lower", "X-UPPER", "Webhook-Id",
                           "Content-Type"])
        if rng.random() < 0.2:
            base = "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in base)
        return base.encode()
    if r < 0.9:
        return b"X-" + random_token(rng, 1, 16, TCHAR)
    return random_token(rng, 1, 24, TCHAR)


def random_value(rng, allow_obs_text=True):
    r = rng.random()
    if r < 0.1:
        return b""
    if r < 0.5:
        return random_token(rng, 1, 30, "abcdefghijklmnopqrstuvwxyz0123456789-_.=/")
    out = bytearray(rng.randbytes(rng.randint(1, 120)).translate(
        VALUE_TABLE_OBS if allow_obs_text and rng.random() < 0.3 else VALUE_TABLE))
    return bytes(out).strip(b" \t")


def random_target(rng, stream_id):
    r = rng.random()
    segments = []
    for _ in range(rng.randint(0, 4)):
        seg = ""
        for _ in range(rng.randint(1, 12)):
            if rng.random() < 0.08:
                seg += "%%%02X" % rng.randint(0, 255)
            else:
                seg += rng.choice(PCHAR)
        segments.append(seg)
    tail = "/".join(segments)
    if r < 0.6:
        path = "/hooks/" + tail
    elif r < 0.68:
        path = "/hooks"
    elif r < 0.72:
        path = "/hooks/"
    elif r < 0.78:
        path = "/hooksx/" + tail
    elif r < 0.82:
        path = "/"
    elif r < 0.86:
        path = "/HOOKS/" + tail
    else:
        path = "/other/" + tail
    if rng.random() < 0.35:
        query = "".join(rng.choices(PCHAR + "/?", k=rng.randint(0, 30)))
        path += "?" + query
    return path.encode()


def random_body(rng, size):
    r = rng.random()
    if r < 0.4:
        obj = {"event": "diff.%d" % rng.randint(0, 999), "n": rng.randint(0, 1 << 40),
               "text": rng.randbytes(max(0, size - 40)).translate(TEXT_TABLE).decode()}
        body = json.dumps(obj).encode()
        return body[:size] if rng.random() < 0.3 else body
    if r < 0.7:
        return rng.randbytes(size)
    if r < 0.85:
        return rng.choice([b"a", b"\r\n", b"\r\n\r\n", b"0\r\n\r\n", b"GET / HTTP/1.1\r\n"]) * \
            max(1, size // 8)
    text = "".join(rng.choices("äöü€ x\r\n", k=min(size, 2000))).encode()
    return (text * max(1, size // 2000))[:size]


def body_size(rng, max_body):
    r = rng.random()
    if r < 0.25:
        return 0
    if r < 0.85:
        return rng.randint(1, 600)
    if r < 0.97:
        return rng.randint(600, min(8000, max_body))
    return rng.randint(min(8000, max_body), max(min(8000, max_body), min(60000, max_body)))


def set_chunked(rng, req, body):
    req.framing = "chunked"
    req.body = body
    req.chunks = []
    pos = 0
    while pos < len(body):
        size = min(len(body) - pos,
                   rng.choice([1, 2, 7, 16, 100, 1000, 4096, rng.randint(1, 9000)]))
        text = "%x" % size
        if rng.random() < 0.2:
            text = text.upper()
        if rng.random() < 0.1:
            text = "0" * rng.randint(1, 3) + text
        ext = b""
        if rng.random() < 0.15:
            ext = rng.choice([b";a=b", b";name", b';q="x y"', b";a=1;b=2", b"; spaced=1"])
        req.chunks.append((text.encode(), ext, body[pos:pos + size], b"\r\n"))
        pos += size
    last_ext = b";end=1" if rng.random() < 0.05 else b""
    req.last_chunk = (b"0" if rng.random() < 0.9 else b"000", last_ext)
    req.trailers = []
    if rng.random() < 0.2:
        for _ in range(rng.randint(1, 2)):
            req.trailers.append(Header(b"X-Trailer-" + random_token(rng, 1, 6, "abcdefgh"),
                                       random_value(rng)))
    te = Header(b"Transfer-Encoding", b"chunked")
    req.headers.insert(rng.randint(0, len(req.headers)), te)


def set_content_length(rng, req, body, always=True):
    req.framing = "cl"
    req.body = body
    cl = Header(b"Content-Length", str(len(body)).encode())
    req.headers.insert(rng.randint(0, len(req.headers)), cl)


def make_request(rng, stream_id, index, max_body, version=b"HTTP/1.1"):
    req = Request("%d-%d" % (stream_id, index))
    req.method = rng.choice([b"POST"] * 10 + [b"PUT", b"PATCH", b"GET", b"DELETE",
                                               b"OPTIONS", b"HEAD"])
    req.target = random_target(rng, stream_id)
    req.version = version
    headers = []
    headers.append(Header(rng.choice([b"Host", b"host", b"HOST"]),
                          rng.choice([b"example.test", b"127.0.0.1:8484", b"hooks.example"])))
    for _ in range(rng.choice([0, 1, 2, 3, 5, 8, 12, 20])):
        name = random_header_name(rng)
        if name.lower() in (b"host", b"content-length", b"transfer-encoding", b"connection",
                            b"expect", b"upgrade", b"x-diff-id"):
            continue
        headers.append(Header(name, random_value(rng)))
    if headers and rng.random() < 0.15:  # a duplicate
        dup = rng.choice(headers)
        if dup.name.lower() not in (b"host", b"content-type"):
            headers.insert(rng.randint(0, len(headers)), Header(dup.name, random_value(rng)))
    headers.insert(rng.randint(0, len(headers)), Header(b"X-Diff-Id", req.marker.encode()))
    req.headers = headers
    if req.method in (b"GET", b"HEAD", b"OPTIONS", b"DELETE") and rng.random() < 0.7:
        if rng.random() < 0.3:
            set_content_length(rng, req, b"")
        return req
    size = body_size(rng, max_body)
    body = random_body(rng, size)
    r = rng.random()
    if r < 0.6:
        set_content_length(rng, req, body)
    elif r < 0.95:
        set_chunked(rng, req, body)
    else:
        req.body = b""  # no framing header: no body
    return req


def inner_request(marker):
    inner = Request(marker)
    inner.target = b"/hooks/smuggled"
    inner.headers = [Header(b"Host", b"example.test"), Header(b"X-Diff-Id", marker.encode()),
                     Header(b"Content-Length", b"2")]
    inner.framing = "cl"
    inner.body = b"ok"
    return inner


def drop_framing(req):
    req.headers = [h for h in req.headers
                   if h.name.lower() not in (b"content-length", b"transfer-encoding")]
    req.framing = "none"
    req.chunks = []
    req.trailers = []


def trick(rng, stream_id, reqs, max_body):
    """Applies one framing trick to the stream; returns (label, bytes appended at the end)."""
    n = len(reqs)
    i = rng.randrange(n)
    req = reqs[i]
    tricks = [
        "ws-before-colon-cl", "ws-before-colon-other", "ws-before-colon-te", "dup-cl-same",
        "dup-cl-conflict", "cl-list-same", "cl-leading-zeros", "cl-bad-number", "cl-and-te",
        "te-case", "te-unsupported", "te-dup", "te-http10", "obs-fold", "bare-lf-head",
        "bare-lf-chunked", "bad-chunk-size", "chunk-data-overrun", "chunk-missing-crlf",
        "http10", "http10-keepalive", "conn-close-mid", "conn-close-variant",
        "conn-token-containing-close", "expect-100", "http09", "long-target", "long-header",
        "many-headers", "upgrade-websocket", "garbage-after", "smuggle-in-body",
        "smuggle-ws-colon", "smuggle-cl-te", "accepted-then-overlimit", "overlimit-chunked",
        "body-at-limit", "body-over-by-one", "no-host", "dup-host", "leading-crlf",
        "lowercase-method", "unknown-method", "version-odd", "request-line-spaces",
        "target-odd-chars", "target-space", "absolute-form", "asterisk-form",
        "header-name-bad-char", "empty-header-name", "ctl-in-value", "ows-padding",
        "header-no-colon", "continuation-first-line", "head-expected-missing-body",
    ]
    label = rng.choice(tricks)
    suffix = b""

    def ensure_cl_body():
        if req.framing != "cl" or not req.body:
            drop_framing(req)
            set_content_length(rng, req, random_body(rng, rng.randint(5, 300)) or b"hello")

    def ensure_chunked_body():
        if req.framing != "chunked" or not req.chunks:
            drop_framing(req)
            set_chunked(rng, req, random_body(rng, rng.randint(5, 300)) or b"hello")

    if label == "ws-before-colon-cl":
        ensure_cl_body()
        req.header(b"Content-Length").before_colon = rng.choice([b" ", b"\t", b"  "])
    elif label == "ws-before-colon-other":
        h = Header(b"X-Spaced", b"value", before_colon=rng.choice([b" ", b"\t"]))
        req.headers.insert(rng.randint(0, len(req.headers)), h)
    elif label == "ws-before-colon-te":
        ensure_chunked_body()
        req.header(b"Transfer-Encoding").before_colon = b" "
    elif label == "dup-cl-same":
        ensure_cl_body()
        req.headers.insert(rng.randint(0, len(req.headers)),
                           Header(b"Content-Length", str(len(req.body)).encode()))
    elif label == "dup-cl-conflict":
        ensure_cl_body()
        req.headers.insert(rng.randint(0, len(req.headers)),
                           Header(b"Content-Length",
                                  str(len(req.body) + rng.randint(1, 9)).encode()))
    elif label == "cl-list-same":
        ensure_cl_body()
        n_ = str(len(req.body)).encode()
        req.header(b"Content-Length").value = rng.choice([n_ + b", " + n_, n_ + b"," + n_])
    elif label == "cl-leading-zeros":
        ensure_cl_body()
        req.header(b"Content-Length").value = b"000" + str(len(req.body)).encode()
    elif label == "cl-bad-number":
        ensure_cl_body()
        n_ = len(req.body)
        req.header(b"Content-Length").value = rng.choice(
            [b"+%d" % n_, b"-1", b"0x%x" % n_, b"%d.0" % n_, b"%d abc" % n_, b"1e1", b""])
    elif label == "cl-and-te":
        ensure_chunked_body()
        enc = len(req.encoded_body())
        cl = rng.choice([enc, 0, max(0, enc - 3), enc + 5])
        req.headers.insert(rng.randint(0, len(req.headers)), Header(b"Content-Length", b"%d" % cl))
    elif label == "te-case":
        ensure_chunked_body()
        req.header(b"Transfer-Encoding").value = rng.choice([b"Chunked", b"CHUNKED", b"cHuNkEd"])
    elif label == "te-unsupported":
        ensure_chunked_body()
        req.header(b"Transfer-Encoding").value = rng.choice(
            [b"gzip, chunked", b"chunked, gzip", b"identity", b"xchunked", b"chunked;q=1",
             b"chunked, chunked", b"\x0bchunked"])
    elif label == "te-dup":
        ensure_chunked_body()
        req.headers.append(Header(b"Transfer-Encoding", rng.choice([b"chunked", b"identity"])))
    elif label == "te-http10":
        ensure_chunked_body()
        req.version = b"HTTP/1.0"
    elif label == "obs-fold":
        h = Header(b"X-Folded", random_token(rng, 1, 10, "abc"),
                   folds=[rng.choice([b" ", b"\t", b"   "]) + random_token(rng, 1, 10, "xyz")
                          for _ in range(rng.randint(1, 2))])
        req.headers.insert(rng.randint(0, len(req.headers)), h)
    elif label == "bare-lf-head":
        req.eol = b"\n"
    elif label == "bare-lf-chunked":
        ensure_chunked_body()
        req.chunk_eol = b"\n"
        req.chunks = [(s, e, d, b"\n") for (s, e, d, _) in req.chunks]
    elif label == "bad-chunk-size":
        ensure_chunked_body()
        k = rng.randrange(len(req.chunks))
        s, e, d, x = req.chunks[k]
        bad = rng.choice([b"zz", b"-1", b"0x" + s, b" " + s, s + b" ;x", b"", b"f" * 21,
                          s + b"\x00", b"+" + s])
        req.chunks[k] = (bad, e, d, x)
    elif label == "chunk-data-overrun":
        ensure_chunked_body()
        k = rng.randrange(len(req.chunks))
        s, e, d, x = req.chunks[k]
        req.chunks[k] = (s, e, d + b"XYZ"[: rng.randint(1, 3)], x)
    elif label == "chunk-missing-crlf":
        ensure_chunked_body()
        k = rng.randrange(len(req.chunks))
        s, e, d, x = req.chunks[k]
        req.chunks[k] = (s, e, d, b"")
    elif label == "http10":
        req.version = b"HTTP/1.0"
    elif label == "http10-keepalive":
        req.version = b"HTTP/1.0"
        req.headers.insert(rng.randint(0, len(req.headers)),
                           Header(b"Connection", rng.choice([b"keep-alive", b"Keep-Alive"])))
    elif label == "conn-close-mid":
        i = rng.randrange(max(1, n - 1))
        req = reqs[i]
        req.headers.insert(rng.randint(0, len(req.headers)), Header(b"Connection", b"close"))
    elif label == "conn-close-variant":
        req.headers.insert(rng.randint(0, len(req.headers)),
                           Header(b"Connection", rng.choice([b"Close", b"keep-alive, close",
                                                             b"CLOSE", b"close, te"])))
    elif label == "conn-token-containing-close":
        req.headers.insert(rng.randint(0, len(req.headers)),
                           Header(b"Connection", rng.choice([b"x-close-notify", b"closed",
                                                             b"keep-alive, enclose"])))
    elif label == "expect-100":
        ensure_cl_body() if rng.random() < 0.5 else ensure_chunked_body()
        req.headers.insert(rng.randint(0, len(req.headers)),
                           Header(b"Expect", rng.choice([b"100-continue", b"100-Continue"])))
    elif label == "http09":
        req.raw_override = b"GET " + req.target + b"\r\n\r\n"
    elif label == "long-target":
        req = reqs[-1]
        req.target = b"/hooks/long?" + b"a" * rng.choice([9000, 70000, 100000])
    elif label == "long-header":
        req = reqs[-1]
        req.headers.append(Header(b"X-Long", b"v" * rng.randint(MAX_HEADER_BYTES + 5000,
                                                                 MAX_HEADER_BYTES + 40000)))
    elif label == "many-headers":
        req = reqs[-1]
        for k in range(MAX_HEADER_COUNT + rng.randint(10, 60)):
            req.headers.append(Header(b"X-Many-%d" % k, b"%d" % k))
    elif label == "upgrade-websocket":
        req.method = b"GET"
        req.headers += [Header(b"Upgrade", b"websocket"), Header(b"Connection", b"Upgrade"),
                        Header(b"Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ=="),
                        Header(b"Sec-WebSocket-Version", b"13")]
    elif label == "garbage-after":
        suffix = rng.choice([b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + rng.randbytes(20) +
                             b"\r\n\r\n", b"hello\r\n\r\n", b"GET / HTTP/1.1 extra\r\n\r\n",
                             b"\x00\x00\x00\x00\r\n\r\n", b"{\"json\": true}\r\n\r\n",
                             b"POST /hooks/x HTTP/1.1\r\nHost: a\r\nX-Diff-Id: %d-garbage\r\n"
                             b"Content-Length: nope\r\n\r\n" % stream_id,
                             b"GET /hooks/x HTTP/1.1\r\nHost: a\r\nX-Diff-Id: %d-garbage\r\n"
                             b"Bad Header\r\n\r\n" % stream_id])
    elif label in ("smuggle-in-body", "smuggle-ws-colon"):
        marker = req.marker + "-inner"
        drop_framing(req)
        body = rng.choice([b"", b"x=1"]) + inner_request(marker).raw()
        set_content_length(rng, req, body)
        if label == "smuggle-ws-colon":
            req.header(b"Content-Length").before_colon = b" "
        req.inner_markers.append(marker)
    elif label == "smuggle-cl-te":
        marker = req.marker + "-inner"
        drop_framing(req)
        set_chunked(rng, req, b"")
        inner = inner_request(marker)
        req.headers.insert(rng.randint(0, len(req.headers)),
                           Header(b"Content-Length", b"%d" % (len(req.encoded_body()) +
                                                              len(inner.raw()))))
        # h11 frames by chunked: the inner request follows as a request of its own; a parser
        # that frames by Content-Length sees it as body bytes.
        reqs.insert(i + 1, inner)
        req.inner_markers.append(marker)
    elif label in ("accepted-then-overlimit", "overlimit-chunked"):
        big = Request("%d-%d" % (stream_id, n))
        big.method = b"POST"
        big.target = b"/hooks/big"
        big.headers = [Header(b"Host", b"example.test"), Header(b"X-Diff-Id", big.marker.encode())]
        body = random_body(rng, max_body + rng.randint(1, 5000))
        if label == "overlimit-chunked" or rng.random() < 0.3:
            set_chunked(rng, big, body)
        else:
            set_content_length(rng, big, body)
        if rng.random() < 0.5:
            reqs.append(big)
        else:
            reqs.insert(i + 1, big)
    elif label in ("body-at-limit", "body-over-by-one"):
        size = max_body + (1 if label == "body-over-by-one" else 0)
        drop_framing(req)
        body = random_body(rng, size)
        body = (body + b"x" * size)[:size]
        if rng.random() < 0.3:
            set_chunked(rng, req, body)
        else:
            set_content_length(rng, req, body)
    elif label == "no-host":
        req.headers = [h for h in req.headers if h.name.lower() != b"host"]
    elif label == "dup-host":
        req.headers.insert(rng.randint(0, len(req.headers)), Header(b"Host", b"other.test"))
    elif label == "leading-crlf":
        req.prefix = rng.choice([b"\r\n", b"\r\n\r\n", b"\n"])
    elif label == "lowercase-method":
        req.method = req.method.lower()
    elif label == "unknown-method":
        req.method = rng.choice([b"FOO", b"HOOK", b"BREW", b"X-POST", b"PRI"])
    elif label == "version-odd":
        req.version = rng.choice([b"HTTP/1.2", b"HTTP/2.0", b"http/1.1", b"HTTP/1.10",
                                  b"HTTP/1", b"HTTP/9.9", b"HTTP/1.1 "])
    elif label == "request-line-spaces":
        req.line_override = rng.choice([
            req.method + b"  " + req.target + b" " + req.version,
            req.method + b"\t" + req.target + b" " + req.version,
            req.method + b" " + req.target + b" " + req.version + b" ",
            b" " + req.method + b" " + req.target + b" " + req.version])
    elif label == "target-odd-chars":
        req.target = b"/hooks/" + bytes(rng.choice(b'"<>\\^`{|}') for _ in range(rng.randint(1, 6)))
    elif label == "target-space":
        req.target = b"/hooks/a b"
    elif label == "absolute-form":
        req.target = b"http://example.test" + rng.choice([b"/hooks/abs", b"/other", b"/hooks?x=1"])
    elif label == "asterisk-form":
        req.method = b"OPTIONS"
        req.target = b"*"
    elif label == "header-name-bad-char":
        req.headers.insert(rng.randint(0, len(req.headers)),
                           Header(rng.choice([b"X(a)", b"X a", b"X@y", b"X\x01", b"X\xe9"]), b"v"))
    elif label == "empty-header-name":
        req.headers.insert(rng.randint(0, len(req.headers)), Header(b"", b"v"))
    elif label == "ctl-in-value":
        req.headers.insert(rng.randint(0, len(req.headers)),
                           Header(b"X-Ctl", b"a" + rng.choice([b"\x00", b"\x01", b"\x7f", b"\x0b",
                                                               b"\x0c", b"\x1b", b"\r"]) + b"b"))
    elif label == "ows-padding":
        h = Header(b"X-Padded", random_token(rng, 1, 10, "abc"),
                   pre=rng.choice([b"", b"  ", b"\t", b" \t "]),
                   post=rng.choice([b" ", b"\t", b"  ", b" \t"]))
        req.headers.insert(rng.randint(0, len(req.headers)), h)
    elif label == "header-no-colon":
        req.headers.insert(rng.randint(0, len(req.headers)), NoColon(b"X-No-Colon value"))
    elif label == "continuation-first-line":
        req.headers.insert(0, NoColon(rng.choice([b" X-Cont: v", b"\tX-Cont: v"])))
    elif label == "head-expected-missing-body":
        # A body announced but shorter than announced, with more requests after it: the next
        # request's bytes are body bytes to h11.
        ensure_cl_body()
        req.header(b"Content-Length").value = b"%d" % (len(req.body) + rng.randint(20, 60))
        req.trust_h11 = True
    return label, suffix


class NoColon(Header):
    def __init__(self, line):
        super().__init__(line, b"")

    def raw(self, eol):
        return self.name + eol


def generate_stream(seed, stream_id, max_body):
    rng = random.Random(seed * 1_000_003 + stream_id)
    n = rng.choice([1, 1, 1, 2, 2, 3, 4, 5])
    reqs = []
    for k in range(n):
        version = b"HTTP/1.1"
        reqs.append(make_request(rng, stream_id, k, max_body, version))
    label = None
    suffix = b""
    if rng.random() < 0.55:
        label, suffix = trick(rng, stream_id, reqs, max_body)
    data = b"".join(r.raw() for r in reqs) + suffix
    # Writes: one, a few, or many small ones; sometimes with short pauses.
    writes = []
    r = rng.random()
    if r < 0.5 or len(data) < 2:
        cuts = []
    elif r < 0.85:
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(1, 4))))
    else:
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(5, 40))))
    prev = 0
    for cut in cuts + [len(data)]:
        writes.append(data[prev:cut])
        prev = cut
    pauses = rng.random() < 0.15
    delays = [rng.choice([0, 0, 0.001, 0.003, 0.01]) if pauses else 0 for _ in writes]
    return {"id": stream_id, "reqs": reqs, "trick": label, "data": data, "writes": writes,
            "delays": delays}


# --------------------------------------------------------------------------------------------
# The judge: h11 as a server.
# --------------------------------------------------------------------------------------------


def connection_tokens(headers):
    tokens = []
    for name, value in headers:
        if name.lower() == b"connection":
            tokens += [t.strip().lower() for t in value.split(b",")]
    return tokens


def judge(stream, max_body):
    """What h11 reads in the stream. Returns a dict:
    accepted: [{marker, method, target, version, headers (raw names), body, trailers, kind,
                status, may_accept}], end: open|close|error|incomplete|limit, error: text,
    generator_bugs: [text]."""
    data = stream["data"]
    models = {r.marker: r for r in stream["reqs"]}
    accepted = []
    bugs = []
    remaining = data
    end, error = "open", ""
    while True:
        skipped = 0
        while remaining.startswith(b"\r\n") or remaining.startswith(b"\n"):
            skip = 2 if remaining.startswith(b"\r\n") else 1
            remaining = remaining[skip:]
            skipped += skip
        if not remaining:
            end = "open"
            break
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=1 << 26)
        conn.receive_data(remaining)
        request, body, trailers = None, bytearray(), []
        try:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    end = "incomplete"
                    break
                if isinstance(event, h11.Request):
                    request = event
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage):
                    trailers = list(event.headers.raw_items())
                    break
        except h11.RemoteProtocolError as e:
            end, error = "error", str(e)
        if end in ("incomplete", "error"):
            break
        remaining = conn.trailing_data[0]
        headers = list(request.headers.raw_items())
        marker = ""
        for name, value in headers:
            if name.lower() == b"x-diff-id":
                marker = value.decode("latin-1")
        entry = {
            "marker": marker, "method": bytes(request.method), "target": bytes(request.target),
            "version": request.http_version.decode(), "h11_headers": headers,
            "body": bytes(body), "trailers": trailers, "skipped": skipped,
        }
        model = models.get(marker)
        if model is None:
            problem = "h11 read a request the generator did not write (%r)" % marker
        else:
            problem = None if model.trust_h11 else compare_model(model, entry)
        if problem:
            bugs.append("stream %d request %s: %s" % (stream["id"], marker, problem))
        if problem or model.trust_h11:
            entry["headers"] = [(n, {v}) for n, v in headers]
            entry["trailer_list"] = [(n, {v}) for n, v in trailers]
        else:
            entry["headers"] = [(h.name, h.accepted_values()) for h in model.headers]
            entry["trailer_list"] = [(h.name, h.accepted_values()) for h in model.trailers]
        classify(entry, max_body)
        accepted.append(entry)
        if entry["kind"] != "ok" and not entry["may_accept"]:
            end = "limit"
            break
        tokens = connection_tokens(headers)
        if b"close" in tokens or (request.http_version < b"1.1" and b"keep-alive" not in tokens):
            end = "close"
            break
    return {"accepted": accepted, "end": end, "error": error, "bugs": bugs}


def compare_model(model, entry):
    if model.raw_override is not None:
        return "a request written raw (%r) accepted by h11" % model.raw_override[:40]
    if entry["method"] != model.method:
        return "method %r, model %r" % (entry["method"], model.method)
    if entry["target"] != model.target:
        return "target %r, model %r" % (entry["target"][:60], model.target[:60])
    if entry["version"] != model.version_text():
        return "version %r, model %r" % (entry["version"], model.version_text())
    if entry["body"] != model.body:
        return "body of %d bytes, model %d bytes" % (len(entry["body"]), len(model.body))

    def normal(pairs):
        return [(n, v) for n, v in pairs
                if n.lower() not in (b"content-length", b"transfer-encoding")]

    mine = normal([(h.name, h.h11_value()) for h in model.headers])
    theirs = normal(entry["h11_headers"])
    if mine != theirs:
        return "headers %r, model %r" % (theirs[:8], mine[:8])
    if normal([(h.name, h.h11_value()) for h in model.trailers]) != normal(entry["trailers"]):
        return "trailers %r, model %r" % (entry["trailers"], model.trailers)
    return None


def endpoint_status(target):
    path = target.split(b"?", 1)[0]
    if path == ENDPOINT_PATH or path.startswith(ENDPOINT_PATH + b"/"):
        return 200
    return 404


def classify(entry, max_body):
    headers = entry["h11_headers"]
    names_values = sum(len(n) + len(v) for n, v in headers)
    entry["may_accept"] = False
    entry["status"] = endpoint_status(entry["target"])
    entry["alt_status"] = None
    entry["alt_path"] = None
    if entry["target"].startswith(b"http://"):  # absolute-form: either reading of the path
        path = b"/" + entry["target"].split(b"/", 3)[-1] if entry["target"].count(b"/") >= 3 \
            else b"/"
        entry["alt_status"] = endpoint_status(path)
        entry["alt_path"] = path.decode("latin-1")
    if len(entry["body"]) > max_body:
        entry["kind"] = "413"
    elif len(headers) > MAX_HEADER_COUNT or names_values > MAX_HEADER_BYTES:
        entry["kind"] = "head"
    elif len(entry["target"]) > 8000:
        entry["kind"] = "head"  # no documented limit: refused or accepted, both fine
        entry["may_accept"] = True
    else:
        entry["kind"] = "ok"


# --------------------------------------------------------------------------------------------
# Talking to serve.
# --------------------------------------------------------------------------------------------


class Response:
    def __init__(self, status, headers, body, raw):
        self.status = status
        self.headers = headers
        self.body = body
        self.raw = raw

    def header(self, name):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None


STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3})(?: [^\r\n]*)?\r\n")


class ResponseReader:
    """A strict reader of answers: status line, headers, Content-Length body."""

    def __init__(self, head_flags):
        self.buf = b""
        self.final = []
        self.interim = 0
        self.error = None
        self.head_flags = head_flags  # per final answer: was the request HEAD
        self.head_body_pending = None
        self.head_with_body = 0

    def feed(self, data):
        self.buf += data
        while self.error is None and self.buf:
            if self.head_body_pending is not None:
                if len(self.buf) < 5 and b"HTTP/"[: len(self.buf)] == self.buf:
                    return
                if self.buf.startswith(b"HTTP/"):
                    self.head_body_pending = None
                    continue
                if len(self.buf) < self.head_body_pending:
                    return
                self.buf = self.buf[self.head_body_pending:]
                self.head_body_pending = None
                self.head_with_body += 1
                continue
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > 65536:
                    self.error = "answer head too long"
                return
            head = self.buf[: end + 2]
            m = STATUS_LINE.match(head)
            if not m:
                self.error = "not an HTTP/1.x answer: %r" % self.buf[:80]
                return
            status = int(m.group(1))
            headers = []
            for line in head[m.end():].split(b"\r\n")[:-1]:
                name, colon, value = line.partition(b":")
                if not colon:
                    self.error = "bad answer header line %r" % line
                    return
                headers.append((name.strip(), value.strip()))
            if 100 <= status < 200:
                self.buf = self.buf[end + 4:]
                self.interim += 1
                continue
            length = None
            for n, v in headers:
                if n.lower() == b"content-length":
                    length = int(v) if v.isdigit() else -1
                if n.lower() == b"transfer-encoding":
                    self.error = "chunked answer"
                    return
            if length is None or length < 0:
                self.error = "answer without a usable Content-Length: %r" % head[:200]
                return
            index = len(self.final)
            is_head = index < len(self.head_flags) and self.head_flags[index]
            if is_head and status in (200, 404):
                self.final.append(Response(status, headers, b"", head))
                self.buf = self.buf[end + 4:]
                if length:
                    self.head_body_pending = length
                continue
            if len(self.buf) < end + 4 + length:
                return
            body = self.buf[end + 4: end + 4 + length]
            self.final.append(Response(status, headers, body, head + b"\r\n" + body))
            self.buf = self.buf[end + 4 + length:]


def exchange(port, stream, verdict):
    """Sends the stream and reads the answers. Returns (reader, closed, timed_out, note)."""
    accepted = verdict["accepted"]
    head_flags = [a["method"] == b"HEAD" for a in accepted]
    reader = ResponseReader(head_flags)
    expected = len(accepted)
    wait_for_close = verdict["end"] in ("close", "error", "limit")
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError as e:
        return reader, False, False, "could not connect: %s" % e
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    closed, reset, note = False, False, ""
    try:
        for chunk, delay in zip(stream["writes"], stream["delays"]):
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                note = "the server closed while the stream was still being written"
                break
            if delay:
                time.sleep(delay)
        deadline = time.monotonic() + STREAM_DEADLINE
        last_data = time.monotonic()
        sock.setblocking(False)
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            refused = any(r.status >= 400 and r.status not in (404,) for r in reader.final)
            have = len(reader.final)
            if not wait_for_close and not refused and have >= expected and \
                    reader.head_body_pending is None and now - last_data >= GRACE_OPEN:
                break
            timeout = min(deadline - now, GRACE_OPEN if have >= expected else 0.2)
            ready, _, _ = select.select([sock], [], [], max(0.001, timeout))
            if not ready:
                continue
            try:
                data = sock.recv(262144)
            except ConnectionResetError:
                reset = True
                closed = True
                break
            except BlockingIOError:
                continue
            if not data:
                closed = True
                break
            last_data = time.monotonic()
            reader.feed(data)
    finally:
        sock.close()
    if reset:
        note = (note + "; " if note else "") + "connection reset by the server"
    timed_out = not closed and time.monotonic() >= deadline
    return reader, closed, timed_out, note


# --------------------------------------------------------------------------------------------
# Judging HookScope's answers against h11's reading.
# --------------------------------------------------------------------------------------------

REFUSALS = {400, 408, 411, 413, 414, 417, 421, 426, 431, 501, 505}


class Outcome:
    def __init__(self, stream, verdict):
        self.stream = stream
        self.verdict = verdict
        self.disagreements = []  # (category, text)
        self.stricter = []  # category
        self.answered = []  # (entry, Response) answered 200/404 (to be found in the db)
        self.refused = []  # (entry or None, marker, status)
        self.responses = []
        self.closed = False
        self.timed_out = False
        self.note = ""
        self.finished = 0.0

    def trick(self):
        if self.stream["trick"]:
            return self.stream["trick"]
        # Without a trick, name the features that commonly decide an outcome.
        tags = []
        if any(r.trailers for r in self.stream["reqs"]):
            tags.append("trailers")
        if any(r.method == b"HEAD" for r in self.stream["reqs"]):
            tags.append("HEAD")
        return "no trick" + "".join(", " + t for t in tags)

    def disagree(self, kind, text=""):
        self.disagreements.append(("%s [%s]" % (kind, self.trick()), text))


def delivery_id(response):
    header = response.header(b"X-HookScope-Delivery")
    try:
        from_body = json.loads(response.body).get("delivery") if response.body else None
    except (ValueError, AttributeError):
        from_body = None
    from_header = int(header) if header is not None and header.isdigit() else None
    return from_header, from_body


def check_answers(outcome):
    verdict = outcome.verdict
    accepted = verdict["accepted"]
    responses = outcome.responses
    end = verdict["end"]
    stopped = False  # HookScope refused: nothing may follow
    for index, response in enumerate(responses):
        if stopped:
            outcome.disagree("answered after its own refusal",
                             "answer %d: %d" % (index, response.status))
            break
        if index < len(accepted):
            entry = accepted[index]
            status = response.status
            if entry["kind"] == "ok" or (entry["kind"] == "head" and entry["may_accept"] and
                                         status in (200, 404)):
                allowed = {entry["status"], entry["alt_status"]}
                later = None
                if status in (413, 414, 431):
                    want = "413" if status == 413 else "head"
                    later = next((k for k in range(index + 1, len(accepted))
                                  if accepted[k]["kind"] == want), None)
                if status in allowed:
                    outcome.answered.append((entry, response))
                elif later is not None:
                    # The refusal of a later request came first: the answers owed before it
                    # were lost.
                    outcome.disagree("answers lost: a later request's %d came first" % status,
                                     "answered %d for request %s where requests %s..%s were owed "
                                     "first" % (status, accepted[later]["marker"], entry["marker"],
                                                accepted[later - 1]["marker"]))
                    outcome.refused.append((accepted[later], accepted[later]["marker"], status))
                    stopped = True
                elif status == 413 and len(entry["body"]) <= outcome.max_body:
                    outcome.disagree("413 for a body within the limit",
                                     "request %s, body %d bytes" % (entry["marker"],
                                                                    len(entry["body"])))
                    outcome.refused.append((entry, entry["marker"], status))
                    stopped = True
                elif status == 431 and entry["kind"] == "ok":
                    outcome.disagree("431 for a head within the limits",
                                     "request %s" % entry["marker"])
                    outcome.refused.append((entry, entry["marker"], status))
                    stopped = True
                elif status in (408, 503):
                    outcome.disagree("answered %d to a complete request" % status,
                                     "request %s" % entry["marker"])
                    outcome.refused.append((entry, entry["marker"], status))
                    stopped = True
                elif status in REFUSALS:
                    outcome.stricter.append("%s -> %d" % (outcome.trick(), status))
                    outcome.refused.append((entry, entry["marker"], status))
                    stopped = True
                else:
                    outcome.disagree("wrong status", "request %s: answered %d, expected %d" %
                                     (entry["marker"], status, entry["status"]))
                    outcome.answered.append((entry, response))
            elif entry["kind"] == "413":
                if status == 413:
                    outcome.refused.append((entry, entry["marker"], status))
                elif status in REFUSALS:
                    outcome.disagree("body over the limit refused with %d, not 413" % status,
                                     "request %s" % entry["marker"])
                    outcome.refused.append((entry, entry["marker"], status))
                else:
                    outcome.disagree("body over the limit answered %d" % status,
                                     "request %s, body %d bytes" % (entry["marker"],
                                                                    len(entry["body"])))
                    outcome.answered.append((entry, response))
                stopped = True
            else:  # a head over the limits
                if status in (431, 414, 400, 413):
                    outcome.refused.append((entry, entry["marker"], status))
                else:
                    outcome.disagree("head over the limits answered %d" % status,
                                     "request %s" % entry["marker"])
                    outcome.answered.append((entry, response))
                stopped = True
        elif index == len(accepted):
            status = response.status
            if end == "error":
                if status == 408:
                    outcome.disagree("waited (408) where h11 refused", verdict["error"])
                elif status in REFUSALS or 400 <= status < 500:
                    outcome.refused.append((None, None, status))
                else:
                    outcome.disagree("answered %d what h11 refused" % status, verdict["error"])
            elif end == "incomplete":
                # Refusing bytes h11 has not finished reading is deciding earlier, not looser.
                if status in (200, 404):
                    outcome.disagree("answered %d a request h11 still waits to complete" % status)
                elif status != 408:
                    outcome.stricter.append("%s -> %d" % (outcome.trick(), status))
                    outcome.refused.append((None, None, status))
            elif end == "close":
                outcome.disagree("answered %d after Connection: close / HTTP/1.0" % status)
            elif end == "limit":
                outcome.disagree("answered %d after refusing for a limit" % status)
            else:
                outcome.disagree("answered %d more than h11 read" % status)
            stopped = True
        else:
            outcome.disagree("more answers than requests")
            break
    refused_any = any(r.status in REFUSALS or r.status == 503 for r in responses[: len(accepted)])
    if len(responses) < len(accepted) and not refused_any:
        missing = accepted[len(responses)]
        why = "the server closed" if outcome.closed else (
            "no answer within %.0f s" % STREAM_DEADLINE if outcome.timed_out else "no answer")
        if missing["kind"] == "413":
            outcome.disagree("body over the limit not answered", why)
        else:
            outcome.disagree("accepted request not answered",
                             "request %s (%d of %d): %s" % (missing["marker"], len(responses) + 1,
                                                            len(accepted), why))
    elif len(responses) == len(accepted) and not refused_any:
        if end == "error" and not outcome.closed:
            outcome.disagree("neither refused nor closed where h11 refused", verdict["error"])
        elif end == "close" and not outcome.closed:
            outcome.disagree("connection left open after Connection: close / HTTP/1.0")
    for response in responses:
        if response.status in (200, 404):
            from_header, from_body = delivery_id(response)
            if from_header is None or (response.body and from_body != from_header):
                outcome.disagree("answer without a consistent delivery id",
                                 "header %r, body %r" % (from_header, from_body))
    if outcome.note.startswith("could not connect"):
        outcome.disagree("could not connect", outcome.note)
    if outcome.reader_error:
        outcome.disagree("unreadable answer", outcome.reader_error)
    if outcome.head_with_body:
        outcome.disagree("answer to HEAD carries a body")


def run_stream(port, seed, stream_id, max_body):
    stream = generate_stream(seed, stream_id, max_body)
    verdict = judge(stream, max_body)
    outcome = Outcome(stream, verdict)
    outcome.max_body = max_body
    reader, closed, timed_out, note = exchange(port, stream, verdict)
    outcome.responses = reader.final
    outcome.interim = reader.interim
    outcome.reader_error = reader.error
    outcome.head_with_body = reader.head_with_body
    outcome.closed, outcome.timed_out, outcome.note = closed, timed_out, note
    check_answers(outcome)
    outcome.finished = time.monotonic()
    return outcome


# --------------------------------------------------------------------------------------------
# The database.
# --------------------------------------------------------------------------------------------


def parse_header_blob(blob):
    """HeaderList::deserialize: 'name: value' lines joined by CRLF."""
    if isinstance(blob, str):
        blob = blob.encode("utf-8")
    headers = []
    start = 0
    while start < len(blob):
        end = blob.find(b"\r\n", start)
        if end < 0:
            end = len(blob)
        line = blob[start:end]
        colon = line.find(b":")
        if colon >= 0:
            value = line[colon + 1:]
            if value.startswith(b" "):
                value = value[1:]
            headers.append((line[:colon], value))
        start = end + 2
    return headers


class Rows:
    def __init__(self, path):
        self.db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10,
                                  check_same_thread=False)
        self.last_id = 0
        self.by_id = {}
        self.by_marker = defaultdict(list)
        self.unmarked = []
        self.total = 0
        self.marker_of = {}  # every row's marker, kept after the row is checked

    def poll(self):
        for attempt in range(20):
            try:
                rows = self.db.execute(
                    "SELECT id, method, path, http_version, headers, body, response_status, "
                    "truncated FROM deliveries WHERE id > ? ORDER BY id",
                    (self.last_id,)).fetchall()
                break
            except sqlite3.OperationalError:
                time.sleep(0.05)
        else:
            fail("cannot read the database")
        for row in rows:
            rid, method, path, version, headers, body, status, truncated = row
            if isinstance(body, str):
                body = body.encode("utf-8")
            parsed = parse_header_blob(headers)
            record = {"id": rid, "method": method, "path": path, "version": version,
                      "headers": parsed, "body": body or b"", "status": status,
                      "truncated": truncated}
            marker = None
            for name, value in parsed:
                if name.strip().lower() == b"x-diff-id":
                    marker = value.strip().decode("latin-1")
                    break
            record["marker"] = marker
            self.marker_of[rid] = marker
            self.by_id[rid] = record
            if marker is None:
                self.unmarked.append(record)
            else:
                self.by_marker[marker].append(record)
            self.last_id = rid
            self.total += 1

    def take(self, marker):
        rows = self.by_marker.pop(marker, [])
        for row in rows:
            self.by_id.pop(row["id"], None)
        return rows


def headers_match(stored, entry, allow_trailers=True):
    expected = entry["headers"]
    trailers = entry["trailer_list"]

    def same(got, want):
        if len(got) != len(want):
            return False
        return all(g[0] == w[0] and g[1] in w[1] for g, w in zip(got, want))

    if same(stored, expected):
        return True
    return allow_trailers and trailers and same(stored, expected + trailers)


def row_problems(row, entry, status, truncated_ok):
    problems = []
    if row["method"] != entry["method"].decode("latin-1"):
        problems.append(("stored method differs", "%r, sent %r" % (row["method"], entry["method"])))
    target = entry["target"].decode("latin-1")
    if row["path"] != target and row["path"] != entry["alt_path"]:
        problems.append(("stored path differs", "%r, sent %r" % (row["path"][:80], target[:80])))
    if row["version"] != entry["version"]:
        problems.append(("stored HTTP version differs",
                         "%r, sent %r" % (row["version"], entry["version"])))
    if not headers_match(row["headers"], entry):
        problems.append(("stored headers differ", header_diff(row["headers"], entry)))
    if truncated_ok:
        if not entry["body"].startswith(row["body"]) or len(row["body"]) > KEPT_BODY_BYTES:
            problems.append(("stored body of a 413 is not a prefix of the body sent",
                             "%d bytes stored" % len(row["body"])))
        if not row["truncated"]:
            problems.append(("413 stored without truncated", ""))
    else:
        if row["body"] != entry["body"]:
            problems.append(("stored body differs", "%d bytes stored %r, %d sent %r" % (
                len(row["body"]), row["body"][:60], len(entry["body"]), entry["body"][:60])))
        if row["truncated"]:
            problems.append(("stored truncated", ""))
    if row["status"] != status:
        problems.append(("stored status differs from the answer",
                         "stored %r, answered %d" % (row["status"], status)))
    return problems


def header_diff(stored, entry):
    expected = entry["headers"]
    for k in range(max(len(stored), len(expected))):
        got = stored[k] if k < len(stored) else None
        want = expected[k] if k < len(expected) else None
        if got is None or want is None or got[0] != want[0] or got[1] not in want[1]:
            want_text = (want[0], sorted(want[1])) if want else None
            return "first difference at %d: stored %r, sent %r (%d stored, %d sent)" % (
                k, got, want_text, len(stored), len(expected))
    return "trailers"


def check_rows(outcome, rows):
    """Checks the stream's rows; returns the markers it claimed."""
    markers = {}
    for r in outcome.stream["reqs"]:
        markers[r.marker] = "sent"
        for inner in r.inner_markers:
            markers.setdefault(inner, "inside a body")
    seen = set()
    for entry, response in outcome.answered:
        from_header, from_body = delivery_id(response)
        rid = from_header if from_header is not None else from_body
        marker = entry["marker"]
        found = rows.take(marker)
        seen.add(marker)
        match = [r for r in found if r["id"] == rid]
        if not match:
            if rid in rows.marker_of:
                outcome.disagree("answer names another request's row",
                                 "request %s answered delivery %s, which is %r" %
                                 (marker, rid, rows.marker_of[rid]))
            else:
                outcome.disagree("answered but not stored",
                                 "request %s, delivery %s" % (marker, rid))
            for other in found:
                outcome.disagree("stored under another id than answered", "row %d" % other["id"])
            continue
        if len(found) > 1:
            outcome.disagree("stored more than once", "request %s: rows %s" %
                             (marker, [r["id"] for r in found]))
        for kind, text in row_problems(match[0], entry, response.status, False):
            outcome.disagree(kind, "request %s, row %d: %s" % (marker, rid, text))
    for entry, marker, status in outcome.refused:
        if entry is None:
            continue
        found = rows.take(marker)
        seen.add(marker)
        if status == 413 and entry["kind"] == "413":
            if not found:
                outcome.disagree("413 not stored", "request %s" % marker)
            if len(found) > 1:
                outcome.disagree("stored more than once", "request %s" % marker)
            for row in found[:1]:
                for kind, text in row_problems(row, entry, 413, True):
                    outcome.disagree(kind, "request %s, row %d: %s" % (marker, row["id"], text))
        else:
            for row in found:
                if row["status"] != status:
                    outcome.disagree("stored status differs from the answer",
                                     "request %s refused %d, stored with %r" %
                                     (marker, status, row["status"]))
            if len(found) > 1:
                outcome.disagree("stored more than once", "request %s" % marker)
    h11_read = {a["marker"] for a in outcome.verdict["accepted"]}
    for marker, what in markers.items():
        if marker in seen:
            continue
        found = rows.take(marker)
        for row in found:
            if what != "sent":
                kind = "stored a request hidden in a body"
            elif marker in h11_read:
                kind = "stored a request that was never answered"
            else:
                kind = "stored a request h11 refused or never reached"
            outcome.disagree(kind,
                             "request %s (%s %s), row %d, response_status %r" %
                             (marker, row["method"], row["path"][:60], row["id"], row["status"]))


# --------------------------------------------------------------------------------------------
# Main.
# --------------------------------------------------------------------------------------------


def fail(message):
    print("http_differential: " + message, file=sys.stderr)
    sys.exit(2)


def start_serve(binary, workdir, max_body):
    db = os.path.join(workdir, "diff.db")
    env = dict(os.environ, HOOKSCOPE_SECRET_STORAGE="database", HOOKSCOPE_DIFF_SECRET="diff-secret")
    add = subprocess.run([binary, "endpoint", "add", "diff", "--path", ENDPOINT_PATH.decode(),
                          "--scheme", "hostedhooks", "--secret-env", "HOOKSCOPE_DIFF_SECRET",
                          "--db", db], env=env, capture_output=True, text=True)
    if add.returncode != 0:
        fail("endpoint add failed: %s" % add.stderr.strip())
    out = open(os.path.join(workdir, "serve.out"), "wb")
    err = open(os.path.join(workdir, "serve.err"), "wb")
    proc = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--db", db,
                             "--max-body", str(max_body), "--idle-timeout", "1",
                             "--max-connections", "1000"],
                            env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with open(os.path.join(workdir, "serve.out"), "rb") as f:
            line = f.readline()
        if line.endswith(b"\n"):
            m = re.match(rb"listening on http://127\.0\.0\.1:(\d+)", line)
            if not m:
                proc.kill()
                fail("unexpected first line of serve: %r" % line)
            return proc, int(m.group(1)), db
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.kill()
    with open(os.path.join(workdir, "serve.err"), "rb") as f:
        fail("serve did not start: %s" % f.read().decode(errors="replace"))


def describe(outcome, limit=400):
    stream = outcome.stream
    verdict = outcome.verdict
    lines = ["stream %d (trick: %s, %d writes%s)" % (
        stream["id"], outcome.trick(), len(stream["writes"]),
        ", with pauses" if any(stream["delays"]) else "")]
    data = stream["data"]
    shown = repr(data[:limit]) + (" ... (%d bytes)" % len(data) if len(data) > limit else "")
    lines.append("  bytes: " + shown)
    said = ["%s %s %s -> %s" % (a["marker"], a["method"].decode("latin-1"),
                                a["target"][:50].decode("latin-1"),
                                a["kind"] if a["kind"] != "ok" else a["status"])
            for a in verdict["accepted"]]
    lines.append("  h11: %s; then %s%s" % ("; ".join(said) or "no request", verdict["end"],
                                          ": " + verdict["error"] if verdict["error"] else ""))
    did = []
    for r in outcome.responses:
        from_header, _ = delivery_id(r)
        did.append("%d%s" % (r.status, " (delivery %s)" % from_header if from_header else ""))
    lines.append("  hookscope: %s; %s%s%s" % (
        ", ".join(did) or "no answer", "closed" if outcome.closed else
        ("still open after %.0f s" % STREAM_DEADLINE if outcome.timed_out else "left open"),
        ", %d interim" % outcome.interim if outcome.interim else "",
        "; " + outcome.note if outcome.note else ""))
    return lines


def generator_check(args):
    ends = defaultdict(Counter)
    bugs = []
    for sid in range(args.streams):
        stream = generate_stream(args.seed, sid, args.max_body)
        verdict = judge(stream, args.max_body)
        trick_name = stream["trick"] or "no trick"
        ends[trick_name][verdict["end"]] += 1
        bugs += verdict["bugs"]
        if trick_name == "no trick" and verdict["end"] not in ("open", "close", "limit"):
            bugs.append("stream %d has no trick but h11 ends it %s: %s" % (
                sid, verdict["end"], verdict["error"]))
    for trick_name in sorted(ends):
        print("%-32s %s" % (trick_name, ", ".join("%s %d" % kv
                                                  for kv in sorted(ends[trick_name].items()))))
    print("%d generator bugs" % len(bugs))
    for bug in bugs[:20]:
        print("  " + bug[:300])
    return 1 if bugs else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hookscope", required=True)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-body", type=int, default=65536)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--only", type=int, default=None, help="run only this stream, verbosely")
    parser.add_argument("--examples", type=int, default=20)
    parser.add_argument("--show", default="",
                        help="list only disagreements whose category contains this text")
    parser.add_argument("--generator-check", action="store_true",
                        help="only generate and judge the streams (no serve): how h11 ends "
                             "them, per trick, and the generator bugs")
    args = parser.parse_args()
    if args.max_body < 64:
        fail("--max-body must be at least 64")
    if args.generator_check:
        return generator_check(args)

    workdir = tempfile.mkdtemp(prefix="hookscope-differential-")
    proc = None
    started = time.monotonic()
    try:
        proc, port, db = start_serve(os.path.abspath(args.hookscope), workdir, args.max_body)
        rows = Rows(db)
        ids = [args.only] if args.only is not None else range(args.streams)
        totals = Counter()
        categories = Counter()
        stricter = Counter()
        examples = []
        example_categories = Counter()
        generator_bugs = []
        pending = []

        def settle(outcomes):
            for outcome in outcomes:
                check_rows(outcome, rows)
                totals["disagreements"] += len(outcome.disagreements)
                for category, _ in outcome.disagreements:
                    categories[category] += 1
                for category in outcome.stricter:
                    stricter[category] += 1
                totals["stricter"] += len(outcome.stricter)
                shown = [c for c, _ in outcome.disagreements if args.show in c]
                if args.show.startswith("stricter"):
                    shown += ["stricter: " + c for c in outcome.stricter
                              if args.show in "stricter: " + c]
                if shown or args.only is not None:
                    firsts = shown
                    fresh = any(example_categories[c] == 0 for c in firsts)
                    if args.only is not None or (len(examples) < args.examples and
                                                 (fresh or len(examples) < args.examples // 2)):
                        examples.append(describe(outcome, 4000 if args.only is not None else 400) +
                                        ["  %s: %s" % (c, t) for c, t in outcome.disagreements[:6]])
                    for c in firsts:
                        example_categories[c] += 1

        def collect(outcome):
            totals["streams"] += 1
            totals["requests"] += len(outcome.stream["reqs"])
            totals["answered"] += len(outcome.responses)
            generator_bugs.extend(outcome.verdict["bugs"])
            if not outcome.stream["trick"] and \
                    outcome.verdict["end"] not in ("open", "close", "limit"):
                generator_bugs.append("stream %d has no trick but h11 ends it %s: %s" % (
                    outcome.stream["id"], outcome.verdict["end"], outcome.verdict["error"]))
            pending.append(outcome)

        def check_settled(final=False):
            poll_started = time.monotonic()
            rows.poll()
            ready = [o for o in pending if final or o.finished + SETTLE < poll_started]
            for o in ready:
                pending.remove(o)
            settle(ready)

        last_poll = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            in_flight = set()
            id_iter = iter(ids)
            exhausted = False
            while True:
                while not exhausted and len(in_flight) < args.jobs * 4:
                    try:
                        sid = next(id_iter)
                    except StopIteration:
                        exhausted = True
                        break
                    in_flight.add(pool.submit(run_stream, port, args.seed, sid, args.max_body))
                if not in_flight:
                    break
                done, in_flight = concurrent.futures.wait(
                    in_flight, timeout=0.2, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    collect(future.result())
                if time.monotonic() - last_poll > 0.5:
                    check_settled()
                    last_poll = time.monotonic()
                if proc.poll() is not None:
                    fail("serve exited with %d during the run" % proc.returncode)
        # Let the last rows land: until nothing new arrives for a second past the settle time.
        time.sleep(SETTLE)
        stable_since, count = time.monotonic(), -1
        while time.monotonic() - stable_since < 1.0:
            rows.poll()
            if rows.total != count:
                count, stable_since = rows.total, time.monotonic()
            time.sleep(0.1)
        check_settled(final=True)
        leftovers = [r for rs in rows.by_marker.values() for r in rs] + rows.unmarked
        for row in leftovers:
            totals["disagreements"] += 1
            category = "stored a row no stream accounts for"
            categories[category] += 1
            if len(examples) < args.examples:
                examples.append(["row %d: %s %r marker %r status %r" % (
                    row["id"], row["method"], row["path"][:80], row["marker"], row["status"])])
        elapsed = time.monotonic() - started

        print("seed %d, --max-body %d, %.1f s" % (args.seed, args.max_body, elapsed))
        if generator_bugs:
            print("%d generator bugs (h11 read a stream otherwise than the generator meant):" %
                  len(generator_bugs))
            for bug in generator_bugs[:10]:
                print("  " + bug)
        if examples:
            print("disagreements:" if args.only is None else "stream:")
            for lines in examples:
                for line in lines:
                    print(line)
        if categories:
            print("disagreements by category:")
            for category, count in categories.most_common():
                print("  %6d  %s" % (count, category))
        if stricter:
            print("stricter than h11 (allowed):")
            for category, count in stricter.most_common():
                print("  %6d  %s" % (count, category))
        print("%d streams, %d requests, %d answered, %d stored, %d stricter, %d disagreements" % (
            totals["streams"], totals["requests"], totals["answered"], rows.total,
            totals["stricter"], totals["disagreements"]))
        return 0 if totals["disagreements"] == 0 else 1
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if args.keep:
            print("kept %s" % workdir, file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
