"""Table 1 number formats, worked by hand from the paper's Table 1 and text."""

from __future__ import annotations

from orchestration.analysis.formatting import (
    format_count_percent,
    format_fixed,
    format_mean_sd_range,
    format_median_range,
    format_sig,
)


def test_paper_median_range_rows():
    assert format_median_range(70, 47, 84) == "70 (47–84)"
    assert format_median_range(273, 77, 1576) == "273 (77–1576)"
    assert format_median_range(9.1, 5.0, 14.0) == "9.1 (5–14)"
    assert format_median_range(305, 3.21, 5683) == "305 (3.21–5683)"
    assert "–" in format_median_range(1, 0, 2) and "-" not in format_median_range(1, 0, 2)  # EN DASH


def test_paper_count_percent_rows():
    assert format_count_percent(13, 18) == "13 (72.2)"  # 72.22…
    assert format_count_percent(18, 18) == "18 (100.0)"
    assert format_count_percent(17, 18) == "17 (94.4)"
    assert format_count_percent(5, 17) == "5 (29.4)"
    assert format_count_percent(9, 18) == "9 (50.0)"
    assert format_count_percent(0, 18) == "0 (0.0)"
    assert format_count_percent(1, 16) == "1 (6.3)"  # 6.25 rounds half up
    assert format_count_percent(0, 0) == "–"


def test_paper_mean_sd_range():
    assert format_mean_sd_range(6.8, 1.7, 2.7, 10.4) == "6.8 ± 1.7 (2.7–10.4)"
    assert format_mean_sd_range(21.46, 14.96, 2.7, 62.6) == "21.5 ± 15.0 (2.7–62.6)"
    assert format_mean_sd_range(6.8, None, 6.8, 6.8) == "6.8 ± – (6.8–6.8)"
    assert format_mean_sd_range(None, None, None, None) == "–"


def test_three_significant_digits_without_rounding_integer_digits():
    assert format_sig(3.214) == "3.21"
    assert format_sig(0.04567) == "0.0457"
    assert format_sig(13.45) == "13.5"  # half up on the decimal the reader sees
    assert format_sig(5683.4) == "5683"
    assert format_sig(70.0) == "70"
    assert format_sig(70.25) == "70.3"
    assert format_sig(9.996) == "10"
    assert format_sig(0) == "0"
    assert format_sig(float("nan")) == "–"
    assert format_fixed(15.0) == "15.0"
    assert format_fixed(-0.04) == "0.0"
