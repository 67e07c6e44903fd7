"""Store input format: CSV / JSON Lines / gzip readers, timestamps, event types, and every bad-input case reported
with file, line and reason (skipped and counted, or fatal under --strict)."""
import gzip
import json

import numpy as np
import pytest

from training.store.catalog import read_catalog
from training.store.errors import InputError, Problems
from training.store.events import parse_event_map, parse_timestamp, read_events

CATALOG = ("item_id,title,category,brand,price,color\n"
           "A,Red Lipstick,Beauty > Makeup,Lumo,9.5,red\nB,Blue Mascara,,,,\nC,,,,,\n")


def write(path, text):
    if str(path).endswith(".gz"):
        with gzip.open(path, "wb") as f:
            f.write(text if isinstance(text, bytes) else text.encode())
    else:
        with open(path, "wb") as f:
            f.write(text if isinstance(text, bytes) else text.encode())
    return str(path)


def codes(p: Problems):
    return sorted((c, n) for (_, c), n in p.counts.items())


@pytest.fixture
def catalog(tmp_path):
    return read_catalog(write(tmp_path / "catalog.csv", CATALOG), Problems())


def test_csv_gzip_timestamps_and_types(tmp_path, catalog):
    ev = write(tmp_path / "events.csv.gz",
               "User_ID, item_id ,timestamp,event_type\n"
               "u1,A,2024-03-01T10:00:00Z,view\n"
               "u1,B,1709287260,Add to cart\n"  # epoch seconds, normalized type name
               "u2,B,1709287200000,PURCHASE\n"  # epoch milliseconds
               "u2,A,2024-03-01 10:00:00+02:00,\n")  # offset; empty type = view
    p = Problems()
    log = read_events(ev, catalog.index, p)
    assert codes(p) == []
    assert log.users.tolist() == [0, 0, 1, 1] and log.items.tolist() == [1, 2, 2, 1]
    assert log.types.tolist() == [1, 3, 4, 1]
    assert log.times.tolist() == [1709287200000, 1709287260000, 1709287200000, 1709280000000]


def test_jsonl_numbers_and_missing_timestamp_column(tmp_path, catalog):
    ev = write(tmp_path / "events.jsonl", "\n".join(json.dumps(r) for r in [
        {"user_id": 7, "item_id": "A"}, {"user_id": 7, "item_id": "C", "event_type": "click"}, {}]) + "\n")
    p = Problems()
    log = read_events(ev, catalog.index, p)
    assert log.times is None and log.items.tolist() == [1, 3] and log.types.tolist() == [1, 2]
    assert codes(p) == [("missing_value", 1)]


def test_every_bad_row_is_reported_with_its_line(tmp_path, catalog):
    body = (b"user_id,item_id,timestamp,event_type\n"
            b"u1,A,2024-03-01T10:00:00Z,view\n"  # 2 ok
            b"u1,ZZZ,2024-03-01T10:00:00Z,view\n"  # 3 unknown item
            b"u1,A,yesterday,view\n"  # 4 bad timestamp
            b"u1,A,2024-03-01T10:00:00Z,wishlist\n"  # 5 unknown type
            b"u1,A\n"  # 6 field count
            b"u\xff1,A,2024-03-01T10:00:00Z,view\n"  # 7 not UTF-8
            b",A,2024-03-01T10:00:00Z,view\n"  # 8 empty user
            b"u1,A,,view\n"  # 9 empty timestamp
            b"\"u2\",\"B\",\"2024-03-02T10:00:00Z\",\"click\"\n")  # 10 ok (quoted)
    ev = write(tmp_path / "events.csv", body)
    p = Problems()
    log = read_events(ev, catalog.index, p)
    assert log.items.tolist() == [1, 2]
    lines = {c: p.samples[(ev, c)][0].line for (_, c) in p.counts}
    assert lines == {"unknown_item": 3, "bad_timestamp": 4, "unknown_event_type": 5, "malformed_row": 6,
                     "not_utf8": 7, "missing_value": 8, "missing_timestamp": 9}
    assert p.skipped(ev) == 7
    assert str(p.samples[(ev, "unknown_item")][0]).startswith(f"{ev}:3: item_id 'ZZZ' is not in the catalog")
    with pytest.raises(InputError) as e:  # --strict: the first problem stops the run
        read_events(ev, catalog.index, Problems(strict=True))
    assert (e.value.line, e.value.code) == (3, "unknown_item") and f"{ev}:3:" in str(e.value)


def test_event_map(tmp_path, catalog):
    ev = write(tmp_path / "e.csv", "user_id,item_id,event_type\nu,A,wishlist\nu,B,impression\nu,C,share\nu,A,click\n")
    p = Problems()
    log = read_events(ev, catalog.index, p, parse_event_map(["wishlist=add_to_cart", "impression=skip", "*=view"]))
    assert log.types.tolist() == [3, 1, 2] and log.dropped_by_map == 1
    assert log.mapped == {"wishlist": 1, "impression": 1, "share": 1}
    with pytest.raises(ValueError):
        parse_event_map(["wishlist=favourite"])


@pytest.mark.parametrize("content,code", [
    (b"\x00\x01\x02binary", "binary_file"),
    (b"[{\"user_id\": 1, \"item_id\": \"A\"}]\n", "not_a_table"),  # a JSON array, not JSON Lines
    (b"customer,product\nu1,A\n", "not_a_table"),  # no user_id/item_id header
    (b"user_id,sku\nu1,A\n", "missing_column"),
    (b"", "empty_file"),
])
def test_files_that_are_not_tables_are_fatal(tmp_path, catalog, content, code):
    name = "e.json" if content.startswith(b"[") else "e.csv"
    with pytest.raises(InputError) as e:
        read_events(write(tmp_path / name, content), catalog.index, Problems())
    assert e.value.code == code


def test_tab_separated_and_multiline_quoted_rows(tmp_path, catalog):
    ev = write(tmp_path / "e.tsv", "user_id\titem_id\nu1\tA\nu1\tB\n")
    assert read_events(ev, catalog.index, Problems()).items.tolist() == [1, 2]
    cat = write(tmp_path / "c.csv", 'item_id,title\nX,"two\nlines"\nX,dup\n')
    p = Problems()
    c = read_catalog(cat, p)
    assert c.titles == ["two\nlines"] and p.samples[(cat, "duplicate_item")][0].line == 4


def test_catalog_fields_attributes_and_problems(tmp_path):
    cat = write(tmp_path / "c.csv", "item_id,title,brand,category,price,image_vector,size\n"
                "A,Night Cream,Lumo,Beauty > Skin > Moisturizers,$12.50,0.1 0.2 0.3,50ml\n"
                "B,Lumo Serum,Lumo,Beauty|Skin,twelve,\"[1, 2, 3]\",\n"
                "C,,,,,\"1,2\",\n"  # no text, wrong vector width
                "A,again,,,,,\n")
    p = Problems()
    c = read_catalog(cat, p)
    assert c.ids == ["A", "B", "C"] and c.index == {"A": 1, "B": 2, "C": 3}
    assert c.texts == ["Night Cream Lumo Beauty Skin Moisturizers", "Lumo Serum Beauty Skin", ""]
    assert c.attrs[0] == {"category": "Beauty > Skin > Moisturizers", "brand": "Lumo", "price": 12.5,
                          "attrs": {"size": "50ml"}}
    assert "price" not in c.attrs[1]
    assert c.has_image.tolist() == [True, True, False] and np.allclose(c.image[1], [1, 2, 3])
    assert codes(p) == [("bad_image_vector", 1), ("bad_price", 1), ("duplicate_item", 1), ("no_text", 1)]
    assert p.skipped() == 1  # only the duplicate row is lost; the others are kept


def test_parse_timestamp_rules():
    assert parse_timestamp("2024-03-01T10:00:00.250Z") == 1709287200250
    assert parse_timestamp(1709287200) == parse_timestamp(1709287200000) == 1709287200000
    for bad in ("2024-13-01T10:00:00Z", "2024-03-01T25:00:00Z", "soon", "nan", True):
        with pytest.raises(ValueError):
            parse_timestamp(bad)


def test_truncated_gzip_is_reported_not_a_traceback(tmp_path, catalog):
    rows = "user_id,item_id\n" + "".join(f"u{i},A\n" for i in range(20000))
    full = gzip.compress(rows.encode())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(InputError) as e:
        read_events(str(path), catalog.index, Problems())
    assert e.value.code == "unreadable" and e.value.line > 1


def test_jsonl_values_of_the_wrong_kind_are_reported_not_a_traceback(tmp_path, catalog):
    ev = write(tmp_path / "events.jsonl", "\n".join(json.dumps(r) for r in [
        {"user_id": "u1", "item_id": "A", "timestamp": "2024-03-01T10:00:00Z", "event_type": "view"},
        {"user_id": "u1", "item_id": "B", "timestamp": [1709287200], "event_type": "view"},
        {"user_id": "u1", "item_id": "B", "timestamp": {"s": 1}, "event_type": "view"},
        {"user_id": "u1", "item_id": "B", "timestamp": 1709287300, "event_type": ["click"]},
        {"user_id": "u1", "item_id": "B", "timestamp": 1709287400, "event_type": {"t": 4}}]) + "\n")
    p = Problems()
    log = read_events(ev, catalog.index, p)
    assert log.items.tolist() == [1]
    assert codes(p) == [("bad_timestamp", 2), ("unknown_event_type", 2)]
    assert [s.line for s in p.samples[(ev, "bad_timestamp")]] == [2, 3]


def test_gzip_corrupt_from_its_first_block_is_unreadable(tmp_path, catalog):
    full = bytearray(gzip.compress(b"user_id,item_id\n" + b"u1,A\n" * 100))
    full[12:40] = b"\xff" * 28  # deflate data destroyed right after the header
    path = tmp_path / "bad.csv.gz"
    path.write_bytes(bytes(full))
    with pytest.raises(InputError) as e:
        read_events(str(path), catalog.index, Problems())
    assert e.value.code == "unreadable"
