"""trtui's version (read by the build, shown by `trtui --version`, written into summaries)."""

__version__ = "0.1.0"
