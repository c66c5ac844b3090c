"""What the dashboard tests share: a browser-like HTTP client that signs in, keeps the
session cookie and posts forms with their CSRF token, as the pages' own forms do."""

import re
from dataclasses import dataclass, field
from typing import Any

import aiohttp

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]*)"')


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


@dataclass
class Page:
    status: int
    text: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class DashboardClient:
    """One browser: its own cookie jar (unsafe=True: cookies for 127.0.0.1 are kept)."""

    base_url: str
    http: aiohttp.ClientSession

    @classmethod
    def open(cls, base_url: str) -> "DashboardClient":
        return cls(base_url, aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)))

    async def close(self) -> None:
        await self.http.close()

    async def get(self, path: str, **kw: Any) -> Page:
        async with self.http.get(self.base_url + path, **kw) as r:
            return Page(r.status, await r.text(errors="replace"), str(r.url), dict(r.headers))

    async def post(
        self, path: str, data: dict[str, str], *, csrf: str | None = None, **kw: Any
    ) -> Page:
        """A form post; ``csrf`` added as the form's token when given. Same-origin headers
        as a browser sends them, unless the test passes its own."""
        headers = {
            "Origin": self.base_url,
            "Sec-Fetch-Site": "same-origin",
            **kw.pop("headers", {}),
        }
        body = dict(data) if csrf is None else {**data, "csrf": csrf}
        async with self.http.post(self.base_url + path, data=body, headers=headers, **kw) as r:
            return Page(r.status, await r.text(errors="replace"), str(r.url), dict(r.headers))

    async def post_multipart(self, path: str, fields: dict[str, Any]) -> Page:
        """A multipart form post (a file input): ``fields`` values are text, or (bytes,
        file name, content type) for a file."""
        form = aiohttp.FormData()
        for name, value in fields.items():
            if isinstance(value, tuple):
                data, filename, content_type = value
                form.add_field(name, data, filename=filename, content_type=content_type)
            else:
                form.add_field(name, value)
        headers = {"Origin": self.base_url, "Sec-Fetch-Site": "same-origin"}
        async with self.http.post(self.base_url + path, data=form, headers=headers) as r:
            return Page(r.status, await r.text(errors="replace"), str(r.url), dict(r.headers))

    async def sign_in(self, key: str) -> Page:
        form = await self.get("/dashboard/sign-in")
        assert form.status == 200, form.text
        page = await self.post("/dashboard/sign-in", {"key": key}, csrf=csrf_of(form.text))
        assert page.status == 200 and "/dashboard/overview" in page.url, (page.status, page.text)
        return page

    async def form_token(self, path: str) -> str:
        """The CSRF token on the page at ``path`` (signed in)."""
        page = await self.get(path)
        assert page.status == 200, page.text
        return csrf_of(page.text)

    def cookie(self, name: str) -> Any:
        for cookie in self.http.cookie_jar:
            if cookie.key == name:
                return cookie
        return None
