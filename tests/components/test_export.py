"""GIF exports are valid animations with the frames they were given."""
import numpy as np
import pytest
from PIL import Image

from components.export import MARGIN, MAX_FRAMES, path_frames, to_rgb, write_gif


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
    frames = path_frames(grid, (-2, 2), (-2, 2), path, size=200, title="bowl")
    left, top, right, bottom = MARGIN
    assert len(frames) == 4 and frames[0].shape == (top + 200 + bottom, left + 200 + right, 3)
    assert not np.array_equal(frames[1], frames[2])
    centre = frames[-1][top + 100 - 2:top + 103, left + 100 - 2:left + 103]   # the last point (0, 0), in red
    assert (centre[..., 0] > 180).any() and (centre[..., 1] < 80).any()
    assert (frames[0][:top, :, :] < 128).any()                                # the title and counter are written
    counter = (slice(0, top), slice(left + 100, left + 200))
    assert not np.array_equal(frames[0][counter], frames[1][counter])        # the step counter changes


def test_a_path_that_leaves_the_map_stops_at_its_last_point_inside():
    grid = np.ones((10, 10))
    path = np.array([[0.5, 0.5], [-1.0, -1.0], [3.0, 3.0], [-9.0, -9.0]])
    assert len(path_frames(grid, (-2, 2), (-2, 2), path, size=100)) == 2
    assert len(path_frames(grid, (-2, 2), (-2, 2), np.array([[0.0, 0.0], [np.nan, 1.0]]), size=100)) == 1


def test_empty_or_huge_animations_are_refused_with_a_message():
    with pytest.raises(ValueError, match="nothing to animate"):
        write_gif([])
    with pytest.raises(ValueError, match=f"at most {MAX_FRAMES} frames"):
        write_gif([np.zeros((4, 4, 3), np.uint8)] * (MAX_FRAMES + 1))
