"""The dashboard's pages, one module per page (or per resource), each a list of routes."""
