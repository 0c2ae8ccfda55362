#!/usr/bin/env python3
"""How far the text index and the subscriber mapping of a HookScope database lag behind the
deliveries that `hookscope serve` stores, while it takes a load and after it ends.

    catchup.py DATABASE STOP-FILE

Samples every 50 ms, read-only, until STOP-FILE exists (the load has ended), then every 10 ms
until both have caught up with the newest delivery. A lag is the age of the oldest delivery
not yet indexed (or not yet mapped): how long a delivery waits, not how many do. Prints:

    deliveries: N
    index_max_lag_ms: …       mapping_max_lag_ms: …
    index_after_load_ms: …    mapping_after_load_ms: …

The watermarks are those HookScope keeps: `state.indexed_up_to` in DATABASE-search and
`mapping_state.mapped_up_to` in DATABASE, which covers the subscriber.created deliveries (the
others never change the mapping).
"""

import os
import sqlite3
import sys
import time

GIVE_UP_AFTER_LOAD_S = 60
# The only event the subscriber mapping reads.
MAPPED_EVENT = "subscriber.created"


def now_ms():
    return time.time() * 1000.0


def connect(path):
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    connection.execute("PRAGMA query_only = 1")
    return connection


def watermark(connection, sql):
    try:
        row = connection.execute(sql).fetchone()
    except sqlite3.OperationalError:  # not made yet, or busy for longer than the timeout
        return None
    return row[0] if row else None


def oldest_above(database, up_to, event_type=None):
    """The receiving time of the oldest delivery above the watermark (of `event_type` when
    given), or None when there is none."""
    if event_type is None:
        row = database.execute(
            "SELECT received_at FROM deliveries WHERE id > ? ORDER BY id LIMIT 1", (up_to,)
        ).fetchone()
    else:
        # The mapping's watermark is over the events it maps; its own query, on its index.
        row = database.execute(
            "SELECT received_at FROM deliveries WHERE event_type = ? AND id > ? ORDER BY id "
            "LIMIT 1",
            (event_type, up_to),
        ).fetchone()
    return row[0] if row else None


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: catchup.py DATABASE STOP-FILE")
    path, stop_file = sys.argv[1], sys.argv[2]
    while not (os.path.exists(path) and os.path.exists(path + "-search")):
        if os.path.exists(stop_file):
            sys.exit("catchup.py: the database or its index never appeared")
        time.sleep(0.05)
    database = connect(path)
    index = connect(path + "-search")

    worst = {"index": 0.0, "mapping": 0.0}
    caught_up_after_load = {}
    load_ended_ms = None
    while True:
        if load_ended_ms is None and os.path.exists(stop_file):
            load_ended_ms = now_ms()
        at = now_ms()
        marks = {
            "index": watermark(index, "SELECT indexed_up_to FROM state"),
            "mapping": watermark(database, "SELECT mapped_up_to FROM mapping_state"),
        }
        newest = watermark(database, "SELECT coalesce(max(id), 0) FROM deliveries") or 0
        for name, mark in marks.items():
            if mark is None:
                continue
            oldest = oldest_above(database, mark, MAPPED_EVENT if name == "mapping" else None)
            if oldest is not None:
                worst[name] = max(worst[name], at - oldest)
            elif load_ended_ms is not None and name not in caught_up_after_load:
                caught_up_after_load[name] = max(0.0, at - load_ended_ms)
        if len(caught_up_after_load) == len(marks):
            break
        if load_ended_ms is not None and now_ms() - load_ended_ms > GIVE_UP_AFTER_LOAD_S * 1000:
            sys.exit(f"catchup.py: not caught up {GIVE_UP_AFTER_LOAD_S} s after the load: {marks}, newest {newest}")
        time.sleep(0.01 if load_ended_ms is not None else 0.05)

    print(f"deliveries: {newest}")
    for name in ("index", "mapping"):
        print(f"{name}_max_lag_ms: {worst[name]:.0f}")
        print(f"{name}_after_load_ms: {caught_up_after_load[name]:.0f}")


if __name__ == "__main__":
    main()
