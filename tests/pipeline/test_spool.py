import asyncio

from ecosentry.pipeline.spool import Spool


def test_append_read_commit_and_reopen(tmp_path):
    sp = Spool(tmp_path, segment_bytes=200)
    last = sp.append_sync([b"a" * 50, b"b" * 50, b"c" * 50])
    assert last == 3
    sp.append_sync([b"d" * 50])
    got = sp.read_batch(10)
    assert [r.seq for r in got] == [1, 2, 3, 4]
    assert got[3].payload == b"d" * 50
    assert len(list(tmp_path.glob("*.seg"))) >= 2  # rolled over
    sp.commit(2)
    sp.close()
    # reopen: everything after the cursor is replayed
    sp2 = Spool(tmp_path, segment_bytes=200)
    assert sp2.cursor == 2 and sp2.durable_seq == 4
    assert [r.payload[:1] for r in sp2.read_batch(10)] == [b"c", b"d"]
    sp2.commit(4)
    assert sp2.backlog == 0
    assert sp2.append_sync([b"e"]) == 5
    assert [r.seq for r in sp2.read_batch(10)] == [5]


def test_torn_tail_is_cut_off(tmp_path):
    sp = Spool(tmp_path)
    sp.append_sync([b"one", b"two"])
    sp.close()
    seg = sorted(tmp_path.glob("*.seg"))[-1]
    with open(seg, "ab") as f:
        f.write(b"\x03\x00\x00\x00\x00\x00\x00\x00\x10\x00")  # a header cut in the middle
    sp2 = Spool(tmp_path)
    assert sp2.durable_seq == 2
    assert [r.payload for r in sp2.read_batch(10)] == [b"one", b"two"]
    assert sp2.append_sync([b"three"]) == 3
    sp2.close()
    assert [r.payload for r in Spool(tmp_path).read_batch(10)] == [b"one", b"two", b"three"]


def test_rewind_rereads_from_cursor(tmp_path):
    sp = Spool(tmp_path)
    sp.append_sync([b"x", b"y"])
    assert len(sp.read_batch(10)) == 2
    sp.rewind()
    assert [r.payload for r in sp.read_batch(10)] == [b"x", b"y"]


async def test_group_commit_many_concurrent_appends(tmp_path):
    sp = Spool(tmp_path)
    seqs = await asyncio.gather(*(sp.append([f"p{i}".encode()]) for i in range(200)))
    assert sorted(seqs) == list(range(1, 201))
    payloads = [r.payload for r in sp.read_batch(1000)]
    assert len(payloads) == 200 and len(set(payloads)) == 200
