"""Ratings readers: every format, the sniffer, malformed rows with line numbers, and the bulk loader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recommender.io import (
    InteractionFileError,
    InteractionRow,
    RowError,
    load_interactions,
    read_interactions,
    sniff_interaction_format,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"


def rows_and_errors(path: Path, fmt: str = "auto") -> tuple[list[InteractionRow], list[RowError]]:
    results = list(read_interactions(path, fmt))
    return (
        [r for r in results if isinstance(r, InteractionRow)],
        [r for r in results if isinstance(r, RowError)],
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("u.data", "movielens"),
        ("ratings.dat", "dat"),
        ("ratings.csv", "csv"),
        ("ratings_reordered.csv", "csv"),
    ],
)
def test_sniffs_format_from_first_line(name: str, expected: str) -> None:
    assert sniff_interaction_format(FIXTURES / name) == expected


def test_reads_movielens_u_data_and_skips_blank_lines() -> None:
    rows, errors = rows_and_errors(FIXTURES / "u.data")
    assert errors == []
    assert [(r.line, r.user_id, r.item_id, r.rating, r.timestamp) for r in rows] == [
        (1, "1", "10", 5.0, 881250949),
        (2, "1", "20", 3.0, 881250950),
        (3, "2", "10", 4.0, 891717742),
        (5, "2", "30", 1.0, 878887116),
        (6, "3", "20", 4.5, 880606923),
    ]


def test_dat_keeps_leading_zeros_in_ids() -> None:
    rows, errors = rows_and_errors(FIXTURES / "ratings.dat", "dat")
    assert errors == []
    assert rows[0] == InteractionRow(1, "1", "0000010", 7.0, 1365029107)
    assert len(rows) == 6


def test_csv_columns_are_found_by_header_name_including_movielens_spelling() -> None:
    rows, _ = rows_and_errors(FIXTURES / "ratings_reordered.csv")
    assert rows == [
        InteractionRow(2, "u1", "1", 4.0, 964982703),
        InteractionRow(3, "u1", "3", 4.0, 964981247),
    ]


def test_malformed_rows_become_errors_with_line_numbers_and_reasons() -> None:
    rows, errors = rows_and_errors(FIXTURES / "ratings_bad.dat")
    assert [r.line for r in rows] == [1, 10]
    assert [str(e) for e in errors] == [
        "line 2: rating 'abc' is not a number",
        "line 3: expected 4 fields (user, item, rating, timestamp), found 3",
        "line 4: user id is empty",
        "line 6: timestamp '-5' is before 1970",
        "line 7: rating 'nan' is not a finite number",
        "line 8: timestamp '136502911x' is not a whole number of seconds since 1970",
        "line 9: contains bytes that are not UTF-8 (0xe9 at byte 2); save the file as UTF-8 and import it again",
    ]


@pytest.mark.parametrize("fmt", ["auto", "dat", "movielens", "csv"])
def test_empty_file_is_a_file_error(fmt: str) -> None:
    with pytest.raises(InteractionFileError, match="is empty; there is nothing to import"):
        list(read_interactions(FIXTURES / "empty.dat", fmt))
    with pytest.raises(InteractionFileError, match="is empty"):
        read_interactions(FIXTURES / "blank_lines.dat", fmt)


def test_missing_file_says_it_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(InteractionFileError, match="does not exist. Check the path"):
        read_interactions(tmp_path / "nope.dat")


def test_csv_without_header_asks_for_one() -> None:
    with pytest.raises(InteractionFileError, match="has no header; add the header line") as caught:
        read_interactions(FIXTURES / "ratings_noheader.csv")
    assert caught.value.line == 1


def test_csv_with_wrong_header_names_missing_columns() -> None:
    with pytest.raises(InteractionFileError, match="lacks the column"):
        list(read_interactions(FIXTURES / "ratings_wrong_header.csv", "csv"))


def test_unknown_format_name_is_refused() -> None:
    with pytest.raises(InteractionFileError, match="unknown format 'tsv'"):
        read_interactions(FIXTURES / "u.data", "tsv")


def test_progress_reports_every_byte() -> None:
    seen: list[int] = []
    list(read_interactions(FIXTURES / "u.data", on_progress=seen.append))
    assert sum(seen) == (FIXTURES / "u.data").stat().st_size


@pytest.mark.parametrize("name", ["u.data", "ratings.dat", "ratings.csv", "ratings_reordered.csv"])
def test_bulk_loader_agrees_with_row_reader(name: str) -> None:
    rows, _ = rows_and_errors(FIXTURES / name)
    arrays = load_interactions(FIXTURES / name)
    assert arrays.users.tolist() == [r.user_id for r in rows]
    assert arrays.items.tolist() == [r.item_id for r in rows]
    assert arrays.ratings.tolist() == [r.rating for r in rows]
    assert arrays.timestamps.tolist() == [r.timestamp for r in rows]
    assert arrays.ratings.dtype == np.float32 and arrays.timestamps.dtype == np.int64


def test_bulk_loader_strict_names_file_and_line() -> None:
    with pytest.raises(InteractionFileError) as caught:
        load_interactions(FIXTURES / "ratings_bad.dat")
    assert caught.value.line == 2
    assert str(caught.value).endswith("ratings_bad.dat: line 2: rating 'abc' is not a number")


def test_bulk_loader_lenient_skips_and_reports() -> None:
    errors: list[RowError] = []
    arrays = load_interactions(FIXTURES / "ratings_bad.dat", strict=False, on_error=errors.append)
    assert arrays.users.tolist() == ["1", "4"]
    assert [e.line for e in errors] == [2, 3, 4, 6, 7, 8, 9]


def test_bulk_loader_positive_threshold_keeps_only_high_ratings() -> None:
    arrays = load_interactions(FIXTURES / "ratings.dat", positive_threshold=7)
    assert arrays.ratings.tolist() == [7.0, 10.0, 9.0]
    assert arrays.items.tolist() == ["0000010", "0000020", "0000020"]


def test_bulk_loader_handles_crlf_bom_missing_final_newline_and_chunk_edges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [f"{u}::{i:07d}::{(u + i) % 11}::{1_300_000_000 + u}" for u in range(50) for i in range(5)]
    path = tmp_path / "ratings.dat"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode())
    # Small chunks so lines straddle chunk boundaries.
    monkeypatch.setattr("recommender.io._CHUNK_BYTES", 64)
    arrays = load_interactions(path)
    assert len(arrays.users) == 250
    assert arrays.users[0] == "0" and arrays.items[-1] == "0000004"
    assert arrays.timestamps[-1] == 1_300_000_049


def test_bulk_loader_detects_field_count_mismatch_that_balances_out(tmp_path: Path) -> None:
    # Five fields then three: the separator total is right, yet both lines are wrong.
    path = tmp_path / "ratings.dat"
    path.write_text("1::2::3::4::5\n1::2::3\n")
    with pytest.raises(InteractionFileError, match="line 1: expected 4 fields"):
        load_interactions(path)


def test_bulk_loader_reports_line_numbers_after_the_first_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [f"{n}::{n}::5::100" for n in range(1, 40)]
    lines[29] = "30::30::five::100"
    path = tmp_path / "ratings.dat"
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr("recommender.io._CHUNK_BYTES", 50)
    with pytest.raises(InteractionFileError) as caught:
        load_interactions(path)
    assert caught.value.line == 30


def test_bulk_loader_on_empty_file_raises() -> None:
    with pytest.raises(InteractionFileError, match="is empty"):
        load_interactions(FIXTURES / "empty.dat")
