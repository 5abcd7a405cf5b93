"""Model text inside the page's Markdown: shown as the model wrote it, the continuation in bold."""
import markdown_it

import pytest

from components.formatting import as_plain, continued, percent, plus, significant, wrapped


def rendered(text: str) -> str:
    return markdown_it.MarkdownIt().render(text)


def test_model_text_with_markdown_characters_shows_as_written():
    html = rendered(as_plain("**not bold** # not a heading <b>x</b> 1. item\n\nnext"))
    assert "<strong>" not in html and "<h1>" not in html and "<b>" not in html
    assert "**not bold** # not a heading &lt;b&gt;x&lt;/b&gt; 1. item ⏎  ⏎ next" in html


def test_the_continuation_is_bold_and_its_leading_space_stays_outside():
    html = rendered(continued("The tower is in", " Paris, France."))
    assert "The tower is in <strong>Paris, France.</strong>" in html
    assert "<em>(nothing)</em>" in rendered(continued("The tower is in", ""))


def test_tiny_probabilities_read_as_less_than_a_tenth_of_a_percent():
    assert percent(0.1234) == "12.3 %" and percent(0.0004) == "< 0.1 %" and percent(0.0005) == "0.1 %"


@pytest.mark.parametrize("value, digits, latex, text", [
    (1e4, 3, r"10^{4}", "10⁴"),                          # was 1e+04
    (9.988e10, 3, r"9.99 \times 10^{10}", "9.99 × 10¹⁰"),    # was 9.988e+10 (KaTeX drew 9.988e + 10)
    (9.988e10, 4, r"9.988 \times 10^{10}", "9.988 × 10¹⁰"),
    (0.000123, 3, "0.000123", "0.000123"),
    (1.2345e-5, 3, r"1.23 \times 10^{-5}", "1.23 × 10⁻⁵"),
    (-1.4429e-9, 3, r"−1.44 \times 10^{-9}", "−1.44 × 10⁻⁹"),
    (-3.25, 2, "−3.2", "−3.2"),
    (-1e6, 3, r"−10^{6}", "−10⁶"),
    (0.0, 3, "0", "0"), (-0.0, 3, "0", "0"),
    (0.5, 3, "0.5", "0.5"), (1234.5, 3, "1234", "1234"), (0.84594, 4, "0.8459", "0.8459"),
    (9999.7, 3, r"10^{4}", "10⁴"),                       # rounding carries into the power
    (float("inf"), 3, r"\infty", "∞"), (float("-inf"), 3, r"−\infty", "−∞"),
    (float("nan"), 3, r"\text{not a number}", "not a number"),
])
def test_numbers_in_formulas_read_as_numbers(value, digits, latex, text):
    assert significant(value, digits) == latex
    assert significant(value, digits, latex=False) == text


def test_no_formula_number_has_an_e_or_a_hyphen_minus():
    for value in [10.0 ** k * sign for k in range(-12, 13) for sign in (1, -1.2345)]:
        shown = significant(value, 4)
        assert "e" not in shown.replace(r"\times", "") and "-" not in shown.replace("^{-", "")
        assert "+" not in shown


def test_a_long_label_is_wrapped_whole_and_cut_only_beyond_its_lines():
    text = "Where is the Eiffel Tower? It is in the city of"
    assert wrapped(text, 30) == "Where is the Eiffel Tower? It<br>is in the city of"
    assert wrapped("short", 30) == "short" and wrapped("", 30) == ""
    long = wrapped("word " * 40, 10, max_lines=2)
    assert long.count("<br>") == 1 and long.endswith("…") and all(len(line) <= 10 for line in long.split("<br>"))
    assert wrapped("São Paulo <b>bold</b> 東京 🙂", 40) == "São Paulo &lt;b&gt;bold&lt;/b&gt; 東京 🙂"    # shown as typed


def test_a_signed_term_reads_as_a_sum_or_a_difference():
    assert (plus(0.3, 1), plus(-0.3, 1), plus(-0.0001, 2)) == ("+ 0.3", "− 0.3", "+ 0.00")
