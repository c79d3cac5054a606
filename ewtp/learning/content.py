"""Lesson content made safe: Markdown rendered then sanitised (nh3), videos from an allow-list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import markdown
import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd",
    "sup", "sub", "abbr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align"},
    "td": {"align"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> str:
    """Markdown to HTML that is safe to insert in a page: no scripts, styles, frames or event
    attributes; links get rel="noopener noreferrer nofollow"; only http(s) and mailto URLs."""
    html = markdown.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


@dataclass(frozen=True)
class VideoEmbed:
    provider: str
    watch_url: str
    embed_url: str


_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^\d{1,12}$")


def video_embed(url: str) -> VideoEmbed | None:
    """An embeddable player for a video link from an allowed host (YouTube, Vimeo), else None.

    Only the video id is taken from the link; the embed URL is built here, so a lesson can never
    frame an arbitrary page.
    """
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"}:
        return None
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    if host in {"youtube.com", "m.youtube.com", "youtube-nocookie.com"}:
        video = ""
        if parts.path == "/watch":
            video = parse_qs(parts.query).get("v", [""])[0]
        elif parts.path.startswith(("/embed/", "/shorts/")):
            video = parts.path.split("/")[2]
        if _YOUTUBE_ID.match(video):
            return VideoEmbed(
                "YouTube",
                f"https://www.youtube.com/watch?v={video}",
                f"https://www.youtube-nocookie.com/embed/{video}",
            )
    elif host == "youtu.be":
        video = parts.path.lstrip("/").split("/")[0]
        if _YOUTUBE_ID.match(video):
            return VideoEmbed(
                "YouTube",
                f"https://www.youtube.com/watch?v={video}",
                f"https://www.youtube-nocookie.com/embed/{video}",
            )
    elif host in {"vimeo.com", "player.vimeo.com"}:
        video = parts.path.rstrip("/").split("/")[-1]
        if _VIMEO_ID.match(video):
            return VideoEmbed(
                "Vimeo", f"https://vimeo.com/{video}", f"https://player.vimeo.com/video/{video}"
            )
    return None
