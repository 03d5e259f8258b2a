"""The Textual UI. The only package that may import textual (a test enforces it)."""
