"""GIF exports are valid animations with the frames they were given."""
import numpy as np
import pytest
from PIL import Image

from components.export import MAX_FRAMES, path_frames, to_rgb, write_gif


def test_a_gif_of_digit_frames_has_every_frame_and_crisp_pixels():
    frames = [to_rgb(np.full((8, 8), k / 4.0), 0.0, 1.0) for k in range(5)]
    path = write_gif(frames, name="noising")
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 5 and min(gif.size) >= 256
        gif.seek(4)
        assert np.asarray(gif.convert("L")).mean() > 250          # the last frame is white (k / 4 = 1)


def test_descent_path_frames_grow_one_point_at_a_time():
    xs = np.linspace(-2, 2, 50)
    grid = xs[None, :] ** 2 + 3 * xs[:, None] ** 2                  # rows are y, columns are x
    path = np.array([[1.5, 1.5], [1.0, 0.5], [0.5, 0.1], [0.0, 0.0]])
    frames = path_frames(grid, (-2, 2), (-2, 2), path, size=200)
    assert len(frames) == 4 and frames[0].shape == (200, 200, 3)
    assert not np.array_equal(frames[1], frames[2])
    centre = frames[-1][100 - 2:100 + 3, 100 - 2:100 + 3]          # the last point (0, 0) is the centre, in red
    assert (centre[..., 0] > 180).any() and (centre[..., 1] < 80).any()


def test_empty_or_huge_animations_are_refused_with_a_message():
    with pytest.raises(ValueError, match="nothing to animate"):
        write_gif([])
    with pytest.raises(ValueError, match=f"at most {MAX_FRAMES} frames"):
        write_gif([np.zeros((4, 4, 3), np.uint8)] * (MAX_FRAMES + 1))
