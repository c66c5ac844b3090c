"""A QR code of an activation's wa.me link, as inline SVG drawn here (segno): a phone's
camera opens the chat with the code typed in. Presentation attributes only, no style, so
the Content-Security-Policy holds."""

import segno
from markupsafe import Markup

SCALE = 4  # module size in SVG units; the stylesheet sets the drawn size
BORDER = 2  # quiet zone in modules (readers cope with 2 against a white card)


def qr_svg(text: str, *, title: str) -> Markup:
    code = segno.make(text, error="m")
    svg = code.svg_inline(
        scale=SCALE, border=BORDER, omitsize=True, svgclass="qr-code", lineclass="qr-line",
        title=title,
    )  # fmt: skip
    return Markup(svg)  # segno's own markup; it escapes the title
