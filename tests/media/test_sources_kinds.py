"""How a send's media value is read, and which WhatsApp message a file becomes (pure)."""

import base64

import pytest

from wahooks.errors import InvalidRequest, PayloadTooLarge
from wahooks.media.ids import new_media_id
from wahooks.media.kinds import check_mime, check_sendable, is_animated_webp, message_type
from wahooks.media.limits import MediaTooLarge
from wahooks.media.sources import InlineSource, StoredSource, UrlSource, parse_media

MAX = 1024


def parse(value: str) -> object:
    return parse_media(value, max_inline_bytes=MAX)


def test_the_mode_is_detected_from_the_value() -> None:
    media_id = new_media_id()
    assert parse(media_id) == StoredSource(media_id)
    assert parse("https://cdn.example.com/a.jpg?x=1") == UrlSource(
        "https://cdn.example.com/a.jpg?x=1"
    )
    assert parse("HTTPS://cdn.example.com/a") == UrlSource("HTTPS://cdn.example.com/a")
    data = bytes(range(200))
    plain = base64.b64encode(data).decode()
    assert parse(plain) == InlineSource(data, None)
    # Line breaks, missing padding and the URL-safe alphabet are all base64 too.
    assert parse(plain[:76] + "\n" + plain[76:]) == InlineSource(data, None)
    assert parse(base64.urlsafe_b64encode(data).decode().rstrip("=")) == InlineSource(data, None)
    assert parse("data:image/png;base64," + plain) == InlineSource(data, "image/png")
    assert parse("data:audio/ogg;codecs=opus;base64," + plain) == InlineSource(
        data, "audio/ogg;codecs=opus"
    )


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("http://cdn.example.com/a.jpg", "insecure_url"),
        ("ftp://cdn.example.com/a.jpg", "insecure_url"),
        ("file:///etc/passwd", "insecure_url"),
        ("https:///no-host", "invalid_request"),
        ("not base64!", "invalid_media"),
        ("abcde", "invalid_media"),  # 21 would be an id; 5 characters is no base64 length
        ("====", "invalid_media"),
    ],
)
def test_unusable_values_are_refused(value: str, code: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse(value)
    assert refused.value.code == code


def test_inline_files_are_capped_before_and_after_decoding() -> None:
    assert isinstance(parse(base64.b64encode(bytes(MAX)).decode()), InlineSource)
    with pytest.raises(PayloadTooLarge, match="at most 1 KB"):
        parse(base64.b64encode(bytes(MAX + 1)).decode())
    with pytest.raises(PayloadTooLarge):
        parse("A" * 10_000_000)  # refused on its length, never decoded


@pytest.mark.parametrize(
    ("mime", "kind"),
    [
        ("image/jpeg", "image"),
        ("image/png", "image"),
        ("IMAGE/PNG", "image"),
        ("image/gif", "document"),
        ("image/webp", "sticker"),
        ("video/mp4", "video"),
        ("video/3gpp", "video"),
        ("video/quicktime", "document"),
        ("audio/ogg; codecs=opus", "audio"),
        ("audio/mpeg", "audio"),
        ("audio/aac", "audio"),
        ("audio/wav", "document"),
        ("application/pdf", "document"),
        ("text/plain", "document"),
    ],
)
def test_the_message_type_comes_from_the_mime_type(mime: str, kind: str) -> None:
    assert message_type(mime) == kind


def test_mime_types_must_look_like_one() -> None:
    assert check_mime(" image/png ") == "image/png"
    for bad in ("png", "image/", "/png", "image /png", "x" * 300 + "/y"):
        with pytest.raises(InvalidRequest, match="mimeType"):
            check_mime(bad)


def test_whatsapps_rules_for_one_file() -> None:
    check_sendable("image", 5 * 1024 * 1024, "a caption")
    with pytest.raises(MediaTooLarge, match="image files may be at most 5 MB"):
        check_sendable("image", 5 * 1024 * 1024 + 1, None)
    with pytest.raises(MediaTooLarge, match="static sticker files may be at most 100 KB"):
        check_sendable("sticker", 200 * 1024, None)
    check_sendable("sticker", 200 * 1024, None, animated=True)
    for kind in ("audio", "sticker"):
        with pytest.raises(InvalidRequest, match="cannot carry a caption"):
            check_sendable(kind, 10, "hi")
    with pytest.raises(InvalidRequest, match="1024"):
        check_sendable("video", 10, "x" * 1025)
    with pytest.raises(InvalidRequest, match="empty"):
        check_sendable("document", 0, None)


def test_animated_webp_is_recognised_from_its_header() -> None:
    vp8x = b"RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00"
    assert is_animated_webp(vp8x + b"\x02" + bytes(9))
    assert not is_animated_webp(vp8x + b"\x00" + bytes(9))
    assert not is_animated_webp(b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(20))
    assert not is_animated_webp(b"RIFF")
