"""eWTP: an open, self-hostable Electronic World Trade Platform."""

__version__ = "0.1.0"
