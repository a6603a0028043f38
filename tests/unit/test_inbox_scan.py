"""The sensor's view of the inbox: new files once, by content, across restarts."""

from __future__ import annotations

import os

from orchestration.lib.inbox_scan import InboxCursor, file_set_key, new_inbox_files


def _drop(inbox, rel, content: bytes, mtime_ns: int):
    path = inbox / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def test_new_files_are_reported_once(tmp_path):
    _drop(tmp_path, "shop/orders/orders_1.csv", b"a", 1_000)
    _drop(tmp_path, "app/events/events_1.jsonl", b"b", 2_000)
    _drop(tmp_path, "shop/not_an_entity/x.csv", b"c", 3_000)
    _drop(tmp_path, "shop/orders/readme.txt", b"d", 3_000)
    files, cursor = new_inbox_files(tmp_path, InboxCursor())
    assert sorted(f.path.name for f in files) == ["events_1.jsonl", "orders_1.csv"]
    assert new_inbox_files(tmp_path, cursor)[0] == []
    # The cursor survives a restart of the daemon.
    assert new_inbox_files(tmp_path, InboxCursor.loads(cursor.dumps()))[0] == []


def test_a_file_with_the_same_mtime_but_new_content_is_still_seen(tmp_path):
    _drop(tmp_path, "shop/orders/orders_1.csv", b"a", 5_000)
    _, cursor = new_inbox_files(tmp_path, InboxCursor())
    _drop(tmp_path, "shop/orders/orders_2.csv", b"new", 5_000)
    files, cursor2 = new_inbox_files(tmp_path, cursor)
    assert [f.path.name for f in files] == ["orders_2.csv"]
    assert len(cursor2.hashes_at_mtime) == 2


def test_run_key_depends_on_content_not_names(tmp_path):
    a = _drop(tmp_path, "shop/orders/a.csv", b"same", 1)
    files_a, _ = new_inbox_files(tmp_path, InboxCursor())
    a.unlink()
    _drop(tmp_path, "shop/orders/b.csv", b"same", 1)
    files_b, _ = new_inbox_files(tmp_path, InboxCursor())
    assert file_set_key(files_a) == file_set_key(files_b)
    _drop(tmp_path, "shop/orders/c.csv", b"other", 2)
    files_c, _ = new_inbox_files(tmp_path, InboxCursor())
    assert file_set_key(files_c) != file_set_key(files_b)
