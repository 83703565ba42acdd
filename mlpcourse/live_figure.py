"""Interactive figures for the lectures: controls (sliders, dropdowns) above a figure that follows them.

    def show_temperature(fig, temperature=1.0):
        ax = fig.subplots()
        ax.bar(...)

    live_figure(show_temperature, figsize=(6, 2.8),
                temperature=widgets.FloatLogSlider(value=1.0, base=10, min=-1.5, max=1.5, step=0.05))

`draw(fig, **values)` fills a fresh matplotlib Figure (not pyplot: nothing global, so no stray copy of the figure
is ever shown); what it prints is shown under the figure. The output is one display that carries both the live
widget and a PNG of the first figure: JupyterLab shows the widget, a page without a running kernel (the course's
website, a notebook run headless) shows the PNG. Never both.

Drawing is safe however often and from whichever thread a control's change arrives (JupyterLab can deliver widget
messages on a kernel subshell thread while the notebook runs): one figure is drawn at a time, values are snapped
to their slider's grid (a slider echoes 0.09 back as 0.09000000000000001), and a figure is redrawn only when a
snapped value changed.
"""
import base64
import contextlib
import html
import io
import math
import threading

import ipywidgets as widgets
from IPython.display import display
from matplotlib.figure import Figure

DPI = 100                      # 100 dots per inch: a figure 8 inches wide is 800 px, which fits the notebook column
_DRAWING = threading.Lock()    # matplotlib is not thread-safe: one figure is drawn at a time, in any thread


def snapped(control, value):
    """`value` on `control`'s grid: min + a whole number of steps (log sliders: of the exponent), rounded."""
    if isinstance(control, widgets.FloatLogSlider):
        exponent = control.min + round((math.log(value, control.base) - control.min) / control.step) * control.step
        return float(f"{control.base ** exponent:.10g}")
    if isinstance(control, widgets.FloatSlider):
        return round(control.min + round((value - control.min) / control.step) * control.step, 10)
    return value


def render(draw, figsize, values):
    """Draw the figure for `values`; return its PNG bytes and what `draw` printed."""
    figure = Figure(figsize=figsize, dpi=DPI, layout="constrained")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        draw(figure, **values)
    png = io.BytesIO()
    figure.savefig(png, format="png")
    return png.getvalue(), printed.getvalue()


class LiveFigure:
    """The controls, the figure as an image and the printed text, redrawn whenever a control changes."""

    def __init__(self, draw, figsize, controls):
        self.draw, self.figsize, self.controls = draw, figsize, controls
        for name, control in controls.items():
            control.description = control.description or name   # as ipywidgets.interact labels it
            control.style.description_width = "initial"      # the whole label, never "temperat…"
            control.observe(self.update, names="value")
        # shown at its own size (100 % zoom), never stretched to the column; shrunk only if the column is narrower
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{figsize[0] * DPI:.0f}px",
                                                                      max_width="100%", height="auto"))
        self.text = widgets.HTML()
        self.widget = widgets.VBox([*controls.values(), self.image, self.text])
        self.widget.add_class("live-figure")                  # how the browser tests find it
        self.drawn = None
        self.update()

    def values(self):
        return {name: snapped(control, control.value) for name, control in self.controls.items()}

    def update(self, change=None):
        with _DRAWING:
            values = self.values()
            if values == self.drawn:
                return
            png, printed = render(self.draw, self.figsize, values)
            self.image.value = png
            self.text.value = f"<pre>{html.escape(printed)}</pre>" if printed else ""
            self.drawn = values

    def _repr_mimebundle_(self, include=None, exclude=None):
        png = base64.b64encode(self.image.value).decode("ascii")
        static = {"image/png": png}
        if self.text.value:  # the printed text too, for pages that show HTML
            static["text/html"] = f'<img src="data:image/png;base64,{png}">{self.text.value}'
        return {**self.widget._repr_mimebundle_(), **static}


def live_figure(draw, *, figsize, **controls):
    """Show the figure `draw(fig, **values)` draws, under a control for each keyword (an ipywidgets widget)."""
    display(LiveFigure(draw, figsize, controls))
