"""Items readers: u.item (Latin-1, genre flags), movies.dat, movies.csv, and title/year parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.io import ItemFileError, ItemRow, RowError, read_items, sniff_item_format, split_title_year

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Toy Story (1995)", ("Toy Story", 1995)),
        ("Usual Suspects, The (1995)", ("The Usual Suspects", 1995)),
        ("Appartement, L' (1996)", ("L'Appartement", 1996)),
        (
            "City of Lost Children, The (Cité des enfants perdus, La) (1995)",
            ("The City of Lost Children (Cité des enfants perdus, La)", 1995),
        ),
        ("Babylon 5", ("Babylon 5", None)),
        ("Planet Earth II (2016–2017)", ("Planet Earth II", 2016)),
        ("  1984 (1984) ", ("1984", 1984)),
        ("Band Wagon, A", ("A Band Wagon", None)),
    ],
)
def test_split_title_year(raw: str, expected: tuple[str, int | None]) -> None:
    assert split_title_year(raw) == expected


def test_u_item_uses_u_genre_and_latin1() -> None:
    rows = list(read_items(FIXTURES / "u.item"))
    assert rows == [
        ItemRow(1, "10", "Toy Story", 1995, ("Animation", "Children's", "Comedy")),
        ItemRow(2, "20", "The Usual Suspects", 1995, ("Crime", "Thriller")),
        ItemRow(3, "30", "La Cité des enfants perdus", 1995, ("Adventure", "Fantasy", "Sci-Fi")),
        ItemRow(4, "40", "unknown", None, ()),
    ]


def test_u_item_without_u_genre_uses_standard_list(tmp_path: Path) -> None:
    (tmp_path / "u.item").write_bytes((FIXTURES / "u.item").read_bytes())
    rows = list(read_items(tmp_path / "u.item"))
    assert rows[0].genres == ("Animation", "Children's", "Comedy")


def test_u_item_wrong_field_count_and_bad_flags_are_row_errors(tmp_path: Path) -> None:
    path = tmp_path / "u.item"
    good = (FIXTURES / "u.item").read_text("latin-1").splitlines()[0]
    path.write_text(f"{good}\n50|Short Row|01-Jan-1995\n{good.rsplit('|', 1)[0]}|x\n", encoding="latin-1")
    rows = list(read_items(path))
    assert isinstance(rows[0], ItemRow)
    assert isinstance(rows[1], RowError) and rows[1].line == 2 and "found 3" in rows[1].reason
    assert rows[2] == RowError(3, "genre flags must be 0 or 1")


def test_u_item_takes_year_from_release_date_when_title_has_none(tmp_path: Path) -> None:
    path = tmp_path / "u.item"
    path.write_text("7|Nameless|01-Jan-1999||url" + "|0" * 19 + "\n", encoding="latin-1")
    assert next(read_items(path)) == ItemRow(1, "7", "Nameless", 1999, ())


def test_movies_dat_utf8_with_empty_genres() -> None:
    rows = list(read_items(FIXTURES / "movies.dat"))
    assert rows[0] == ItemRow(1, "0000010", "Toy Story", 1995, ("Animation", "Children", "Comedy"))
    assert rows[2] == ItemRow(3, "0000030", "Fantômas - À l'ombre de la guillotine", 1913, ())


def test_movies_dat_wrong_field_count_is_row_error(tmp_path: Path) -> None:
    path = tmp_path / "movies.dat"
    path.write_text("1::A (2000)::Drama\n2::B (2001)\n")
    rows = list(read_items(path))
    assert rows[1] == RowError(2, "expected 3 fields (id::title::genres), found 2")


def test_movies_csv_quoted_titles_and_no_genres_marker() -> None:
    rows = list(read_items(FIXTURES / "movies.csv"))
    assert rows == [
        ItemRow(2, "1", "Toy Story", 1995, ("Adventure", "Animation", "Children", "Comedy", "Fantasy")),
        ItemRow(3, "2", "The American President", 1995, ("Comedy", "Drama", "Romance")),
        ItemRow(4, "3", "Les Misérables", 1995, ()),
    ]


def test_movies_csv_header_must_have_columns(tmp_path: Path) -> None:
    path = tmp_path / "movies.csv"
    path.write_text("movieId,name\n1,Toy Story (1995)\n")
    with pytest.raises(ItemFileError, match="lacks the column 'title'"):
        list(read_items(path))


def test_item_format_sniffed_by_content_when_name_is_unusual(tmp_path: Path) -> None:
    path = tmp_path / "titles.txt"
    path.write_bytes((FIXTURES / "movies.dat").read_bytes())
    assert sniff_item_format(path) == "dat"
    path.write_text("just some text\n")
    with pytest.raises(ItemFileError, match="is not an items file"):
        read_items(path)


def test_empty_items_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "movies.dat"
    path.write_text("")
    with pytest.raises(ItemFileError, match="is empty"):
        read_items(path)
