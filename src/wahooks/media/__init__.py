"""Media files: fetched from Meta, kept in a blob store, served and expired.

- ``fetch``: inbound media from the Graph API into the blob store (streamed, verified, retried)
- ``blobs``: the blob store interface; ``local`` and ``s3`` implement it; ``stores`` opens one
- ``guard`` / ``addresses``: the SSRF guard for every outbound URL a customer can choose
- ``capped``: size and time caps for one download
- ``limits``: WhatsApp's size limits per media type
- ``ids``: our 21-character media ids
- ``intake``: files a tenant gives us to send (upload, base64, URL) into the store, or looked up
- ``sources``: what a send's ``media`` value is (id, https URL, base64); ``kinds``: which
  WhatsApp message a MIME type becomes, and its caption rules
"""
