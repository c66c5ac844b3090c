"""Our media ids; defined in wahooks.ids, which the store uses without importing media."""

from wahooks.ids import MEDIA_ID_LENGTH as MEDIA_ID_LENGTH
from wahooks.ids import is_media_id as is_media_id
from wahooks.ids import new_media_id as new_media_id
