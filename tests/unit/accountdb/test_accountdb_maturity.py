import pytest

from accountdb import maturity


def test_scale_orders_kids_family_teen_and_adult_labels():
    ordered = ["TV-Y", "TV-Y7", "G", "TV-G", "PG", "TV-PG", "PG-13", "TV-14", "R", "TV-MA", "NC-17"]
    ranks = [maturity.rank(label) for label in ordered]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == len(ranks)


def test_fantasy_violence_variant_ranks_with_its_audience():
    assert maturity.rank("TV-Y7-FV") == maturity.rank("TV-Y7")


@pytest.mark.parametrize("label", ["NR", "UR", "Not Rated", "unrated", "", None, "  "])
def test_unrated_and_missing_labels_count_as_adult(label):
    assert maturity.rank(label) == maturity.ADULT_RANK == maturity.rank("NC-17")
    assert maturity.canonical_label(label) == "NR"


@pytest.mark.parametrize(
    ("raw", "canonical"), [("pg-13", "PG-13"), (" tv-ma ", "TV-MA"), ("tv_y7_fv", "TV-Y7-FV")]
)
def test_labels_are_normalised_to_the_scale_spelling(raw, canonical):
    assert maturity.canonical_label(raw) == canonical


def test_unknown_label_is_refused_with_the_valid_choices():
    with pytest.raises(maturity.UnknownMaturityRating, match="74 min.*TV-MA"):
        maturity.rank("74 min")


def test_kids_ceiling_allows_family_titles_but_not_teen_ones():
    assert maturity.rank("PG") <= maturity.KIDS_MAX_RANK
    assert maturity.rank("TV-PG") <= maturity.KIDS_MAX_RANK
    assert maturity.rank("PG-13") > maturity.KIDS_MAX_RANK
