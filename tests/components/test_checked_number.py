"""The number box whose range the handler checks: the value reaches the handler whatever it is (rounded to the
box's precision), where gr.Number refuses it before any handler runs; the page still gets the box's range."""
import gradio as gr
import pytest

from components.checked_number import CheckedNumber


@pytest.fixture(scope="module")
def boxes():
    with gr.Blocks():
        return (CheckedNumber(0, precision=0, minimum=0, maximum=10, label="seed"),
                gr.Number(0, precision=0, minimum=0, maximum=10, label="seed"))


def test_a_value_out_of_range_reaches_the_handler(boxes):
    checked, plain = boxes
    assert checked.preprocess(-5) == -5 and checked.preprocess(11) == 11
    with pytest.raises(gr.Error, match="less than minimum"):                    # what gr.Number does instead
        plain.preprocess(-5)


def test_values_are_rounded_to_the_precision_as_gr_number_does(boxes):
    checked, plain = boxes
    assert checked.preprocess(2.6) == plain.preprocess(2.6) == 3 and isinstance(checked.preprocess(2.6), int)
    with gr.Blocks():
        tenths = CheckedNumber(0.0, precision=1)
    assert tenths.preprocess(2.66) == pytest.approx(2.7)
    assert checked.preprocess(None) is None


def test_the_page_draws_it_as_gr_number_with_its_range(boxes):
    checked, _ = boxes
    assert checked.get_block_name() == "number"
    config = checked.get_config()
    assert (config["minimum"], config["maximum"], config["label"]) == (0, 10, "seed")
