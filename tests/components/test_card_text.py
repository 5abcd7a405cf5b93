"""Model text inside the page's Markdown: shown as the model wrote it, the continuation in bold."""
import markdown_it

from components.card import as_plain, continued, percent


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
