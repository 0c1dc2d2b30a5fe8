"""The read-only web view: pages, Atom feeds and a JSON API over what the service stored (Starlette)."""
