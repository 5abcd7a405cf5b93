"""A small class opens the lecturer's link at once (the load test's class mode, bench/load_test.py --class-size):
every student gets the linked view and their own change, with no error."""
import pytest

from bench.load_test import run_class


@pytest.mark.slow
def test_ten_students_open_the_same_attention_link(capsys):
    figures = run_class(10, 3.0, "?panel=attention&prompt=The+cat+sat+on+the+mat.+The+cat+sat+on+the+mat.&layer=18"
                                 "&head=6")
    assert figures["students"] == 10 and figures["errors"] == 0
    assert 0 < figures["first_view_median_s"] <= figures["first_view_p95_s"]
    assert "10 students opened" in capsys.readouterr().out
