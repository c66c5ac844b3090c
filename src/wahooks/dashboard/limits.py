"""The dashboard's request bodies, limited as the API's are (api/limits.py): its forms are
small, and the sign-in form is read before anyone is known, so without a limit anyone could
have a form of any size parsed (spooled to disk, or held in memory). A reply's file may be
as large as any file WhatsApp takes, as through POST /v1/media."""

from starlette.types import ASGIApp

from wahooks.api.limits import BodySizeLimit
from wahooks.dashboard.render import BASE

FILE_PATH_ENDS = ("/reply",)  # the forms with a file input


class DashboardBodyLimit(BodySizeLimit):
    def __init__(self, app: ASGIApp, *, max_bytes: int, file_bytes: int) -> None:
        super().__init__(app, max_bytes=max_bytes, path_prefix=BASE + "/")
        self.file_bytes = file_bytes

    def limit_for(self, path: str) -> int:
        return self.file_bytes if path.endswith(FILE_PATH_ENDS) else self.max_bytes
