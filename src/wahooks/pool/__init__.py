"""Pool numbers: activation codes that bind a WhatsApp sender to a tenant, and the notices
(replies the gateway itself sends to that sender) that go with them."""
