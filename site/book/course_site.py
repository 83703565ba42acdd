"""A Sphinx extension of the course's website.

- The site runs no code, so sphinx-thebe (which Jupyter Book 1 always loads) is taken off every page: its
  script is included twice, which is a JavaScript error, and it would fetch thebe from a CDN when clicked.
- The theme's download menu is turned off (Jupyter Book's `use_download_button` does not reach the theme):
  it would link page sources the site does not copy. Each page links its notebook itself (pages.py).
"""


def without_download_button(app, config):
    config.html_theme_options["use_download_button"] = False


def without_thebe(app, pagename, templatename, context, doctree):
    def thebe(asset):
        return "thebe" in (asset.filename or "").lower() or "THEBE" in asset.attributes.get("body", "")

    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key] if not thebe(asset)]


def setup(app):
    app.connect("config-inited", without_download_button)
    app.connect("html-page-context", without_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
