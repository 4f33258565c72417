"""Share links: signed, stored, revocable read-only capabilities for the roadmap and metrics views."""
from rm_core.links.share import (DEFAULT_DAYS, MAX_DAYS, VIEWS, LinkScope, ShareLinkView, create_link,
                                 link_from_token, list_links, revoke_link)

# the page each view opens on, and the query parameter the token travels in
VIEW_PAGES = {"roadmap": "roadmap", "metrics": "metrics"}
TOKEN_PARAM = "share"


def link_path(link: ShareLinkView) -> str:
    """What follows the server's address to open the link: the router opens its first view at the root (the
    only pages a link session has are the link's views, and Streamlit serves the first one at "/")."""
    return f"?{TOKEN_PARAM}={link.token}"


__all__ = ["DEFAULT_DAYS", "MAX_DAYS", "VIEWS", "VIEW_PAGES", "TOKEN_PARAM", "LinkScope", "ShareLinkView",
           "create_link", "link_from_token", "link_path", "list_links", "revoke_link"]
