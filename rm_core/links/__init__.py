"""Share links: signed, stored, revocable read-only capabilities for the roadmap and metrics views."""
from rm_core.links.share import (DEFAULT_DAYS, MAX_DAYS, VIEWS, LinkScope, ShareLinkView, create_link,
                                 link_from_token, list_links, revoke_link)

# the page each view opens on, and the query parameter the token travels in
VIEW_PAGES = {"roadmap": "roadmap", "metrics": "metrics"}
TOKEN_PARAM = "share"


def link_path(link: ShareLinkView) -> str:
    """The URL path (after the server's address) that opens the link's first view."""
    return f"{VIEW_PAGES[link.scope.views[0]]}?{TOKEN_PARAM}={link.token}"


__all__ = ["DEFAULT_DAYS", "MAX_DAYS", "VIEWS", "VIEW_PAGES", "TOKEN_PARAM", "LinkScope", "ShareLinkView",
           "create_link", "link_from_token", "link_path", "list_links", "revoke_link"]
