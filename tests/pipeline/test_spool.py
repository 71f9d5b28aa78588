import asyncio

from ecosentry.pipeline.spool import Spool, SpoolReader


def test_append_read_commit_and_reopen(tmp_path):
    sp = Spool(tmp_path, segment_bytes=200)
    rd = SpoolReader(tmp_path)
    assert sp.append_sync([b"a" * 50, b"b" * 50, b"c" * 50]) == 3
    sp.append_sync([b"d" * 50])
    got = rd.read_batch(10)
    assert [r.seq for r in got] == [1, 2, 3, 4]
    assert got[3].payload == b"d" * 50
    assert len(list(tmp_path.glob("*.seg"))) >= 2  # rolled over
    rd.commit(2)
    assert sp.backlog == 2
    sp.close()
    # reopen both sides: everything after the cursor is read again
    sp2 = Spool(tmp_path, segment_bytes=200)
    rd2 = SpoolReader(tmp_path)
    assert rd2.cursor == 2 and sp2.durable_seq == 4
    assert [r.payload[:1] for r in rd2.read_batch(10)] == [b"c", b"d"]
    rd2.commit(4)
    assert sp2.backlog == 0
    assert sp2.append_sync([b"e"]) == 5
    assert [r.seq for r in rd2.read_batch(10)] == [5]


def test_finished_segments_are_deleted_after_commit(tmp_path):
    sp = Spool(tmp_path, segment_bytes=100)
    rd = SpoolReader(tmp_path)
    for i in range(10):
        sp.append_sync([bytes([65 + i]) * 80])
    assert [r.seq for r in rd.read_batch(100)] == list(range(1, 11))
    assert len(list(tmp_path.glob("*.seg"))) == 6  # 2 records of 96 bytes per segment, then a new empty one
    rd.commit(10)
    assert len(list(tmp_path.glob("*.seg"))) == 1  # only the active segment stays
    sp.append_sync([b"k"])
    assert [r.payload for r in rd.read_batch(10)] == [b"k"]


def test_torn_tail_is_cut_off_and_not_read(tmp_path):
    sp = Spool(tmp_path)
    sp.append_sync([b"one", b"two"])
    sp.close()
    seg = sorted(tmp_path.glob("*.seg"))[-1]
    with open(seg, "ab") as f:
        f.write(b"\x03\x00\x00\x00\x00\x00\x00\x00\x10\x00")  # a header cut in the middle
    # a reader in another process sees only whole records
    assert [r.payload for r in SpoolReader(tmp_path).read_batch(10)] == [b"one", b"two"]
    sp2 = Spool(tmp_path)
    assert sp2.durable_seq == 2
    assert sp2.append_sync([b"three"]) == 3
    sp2.close()
    assert [r.payload for r in SpoolReader(tmp_path).read_batch(10)] == [b"one", b"two", b"three"]


def test_rewind_rereads_from_cursor(tmp_path):
    sp = Spool(tmp_path)
    rd = SpoolReader(tmp_path)
    sp.append_sync([b"x", b"y", b"z"])
    assert len(rd.read_batch(10)) == 3
    rd.commit(1)
    rd.rewind()
    assert [r.payload for r in rd.read_batch(10)] == [b"y", b"z"]


def test_reader_batches_respect_the_limit(tmp_path):
    sp = Spool(tmp_path, segment_bytes=64)
    rd = SpoolReader(tmp_path)
    sp.append_sync([f"r{i}".encode() * 10 for i in range(25)])
    seqs = []
    while batch := rd.read_batch(7):
        assert len(batch) <= 7
        seqs += [r.seq for r in batch]
    assert seqs == list(range(1, 26))


async def test_group_commit_many_concurrent_appends(tmp_path):
    sp = Spool(tmp_path)
    seqs = await asyncio.gather(*(sp.append([f"p{i}".encode()]) for i in range(200)))
    assert sorted(seqs) == list(range(1, 201))
    payloads = [r.payload for r in SpoolReader(tmp_path).read_batch(1000)]
    assert len(payloads) == 200 and len(set(payloads)) == 200
