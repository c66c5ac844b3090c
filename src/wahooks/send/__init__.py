"""Talking back: messages the customer sends through us go out through the Graph API."""
