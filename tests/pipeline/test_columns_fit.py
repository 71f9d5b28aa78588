"""Long reasons and id lists fit their columns (several marks over one hour on PostgreSQL varchar(200))."""

from ecosentry.subsystems.monitoring.pipeline.columns import fit_ids, fit_text


def test_text_is_cut_with_an_ellipsis_only_when_too_long():
    assert fit_text(None, 5) is None and fit_text("abc", 5) == "abc" and fit_text("abcde", 5) == "abcde"
    assert fit_text("abcdef", 5) == "abcd…" and len(fit_text("x" * 500, 200)) == 200


def test_ids_keep_the_first_ones_that_fit():
    assert fit_ids([], 10) is None and fit_ids([1, 2, 3], 10) == "1,2,3"
    assert fit_ids([1000, 2000, 3000], 10) == "1000,2000"  # "1000,2000,3000" would be 14 characters
