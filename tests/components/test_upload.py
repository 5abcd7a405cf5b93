"""The image upload whose handler always runs: it hands the handler the file's path unopened, so that a file that is
not an image can be refused in words."""
import gradio as gr
from gradio.data_classes import FileData

from components.upload import ImageUpload


def test_the_upload_hands_the_handler_the_file_unopened(tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_text("not a picture")
    with gr.Blocks():
        upload = ImageUpload(type="filepath", sources=["upload"], label="upload")
    assert upload.get_block_name() == "image"                          # drawn by gr.Image's front end
    assert upload.get_config()["sources"] == ["upload"]                # the page gets gr.Image's own arguments
    assert upload.preprocess(FileData(path=str(fake), orig_name="notes.png")) == str(fake)
    assert upload.preprocess(None) is None
