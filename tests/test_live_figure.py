"""The lectures' live figures: values snapped to their slider's grid, one redraw per new value, safe from many
threads at once, and one output that carries both the widget and a static PNG."""
import base64
import struct
import threading

import ipywidgets as widgets
import pytest

from mlpcourse.live_figure import DPI, LiveFigure, snapped


def png_size(png):
    return struct.unpack(">II", png[16:24])


@pytest.mark.parametrize("control, echoed, on_grid", [
    (widgets.FloatSlider(min=0.005, max=0.095, step=0.005), 0.09000000000000001, 0.09),
    (widgets.FloatSlider(min=0.0, max=1.0, step=0.05), 0.30000000000000004, 0.3),
    (widgets.FloatSlider(min=0.0, max=1.0, step=0.05), 0.31, 0.3),
    (widgets.FloatLogSlider(base=10, min=-2.5, max=0, step=0.1), 0.10000000000000002, 0.1),
    (widgets.IntSlider(min=1, max=20), 7, 7),
])
def test_values_are_snapped_to_the_grid(control, echoed, on_grid):
    assert snapped(control, echoed) == on_grid


def test_a_figure_is_drawn_once_per_new_value_and_shows_what_it_printed():
    calls = []

    def draw(fig, lr):
        calls.append(lr)
        fig.subplots().plot([0, 1], [0, lr])
        print(f"lr = {lr}")

    slider = widgets.FloatSlider(value=0.09, min=0.005, max=0.095, step=0.005)
    live = LiveFigure(draw, (4, 3), {"lr": slider})
    first = live.image.value
    slider.value = 0.09000000000000001          # the echo a browser sends back: no second drawing
    assert calls == [0.09]
    slider.value = 0.05
    assert calls == [0.09, 0.05] and live.image.value != first
    assert "lr = 0.05" in live.text.value
    assert slider.style.description_width == "initial"       # the whole label is shown
    assert slider.description == "lr"                          # named after its keyword, as interact does


def test_one_output_carries_the_widget_and_a_png_of_the_figure():
    live = LiveFigure(lambda fig, n: fig.subplots().plot(range(n)), (5, 2.5), {"n": widgets.IntSlider(value=3)})
    bundle = live._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    png = base64.b64decode(bundle["image/png"])
    assert png_size(png) == (5 * DPI, int(2.5 * DPI))
    assert "text/html" not in bundle                          # nothing printed: the PNG alone


def test_drawing_from_many_threads_at_once_leaves_the_last_value_drawn():
    def draw(fig, k):
        ax = fig.subplots()
        ax.plot(range(k))
        ax.set_title(f"$k = {k}$ with mathtext")              # mathtext's parser is not thread-safe

    slider = widgets.IntSlider(value=1, min=1, max=100)
    live = LiveFigure(draw, (3, 2), {"k": slider})
    errors = []

    def move(k):
        try:
            slider.value = k
        except Exception as error:  # noqa: BLE001 (any error is the failure)
            errors.append(error)

    threads = [threading.Thread(target=move, args=(k,)) for k in range(2, 12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert live.drawn == {"k": slider.value}
    assert live.image.value == LiveFigure(draw, (3, 2), {"k": widgets.IntSlider(value=slider.value, max=100)}).image.value
