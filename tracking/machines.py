"""Telling a person's open or click from a machine's.

About half of all e-mail opens since 2022 are Apple Mail Privacy Protection fetching every image
at delivery; mail security gateways (Microsoft SafeLinks, Mimecast, Proofpoint, Barracuda) open
and click every link within seconds of delivery; Outlook and chat apps fetch link previews.
Counted as interest, they poison scores (Mautic #16263, #8718, #10409; Odoo PR #167499). Each hit
is judged twice and kept either way, with the reason:

- here, from the request alone: a known scanner or preview agent, a known scanner network,
  Apple's privacy proxy (its agent is exactly "Mozilla/5.0"), a prefetch;
- by the fold, with hindsight (tracking.fold): a hit within CRM_TRACKING_MACHINE_SECONDS of the
  e-mail being sent, or several links of one e-mail hit in the same second.

Gmail's image proxy is not a machine in itself: it fetches the image when the person opens the
e-mail (Mautic #16069 is real opens lost by treating it as one); only its fetch within seconds
of sending is, which the fold's time rule catches.
"""

import ipaddress
import re

from django.conf import settings

SCANNER_AGENTS = re.compile(
    r"bot\b|crawler|spider|preview|safelinks|mimecast|proofpoint|barracuda|forcepoint|symantec|trendmicro|"
    r"fortiguard|cisco|ironport|sophos|zscaler|microsoft office|ms-office|msoffice|outlook-(ios|android)|"
    r"skypeuripreview|slack|teams|discord|whatsapp|facebookexternalhit|linkedin|headless|phantomjs|"
    r"python-|curl/|wget/|go-http-client|java/|okhttp|axios|node-fetch|libwww|httpclient|scrapy",
    re.IGNORECASE,
)
APPLE_PRIVACY_PROXY = "Mozilla/5.0"
PREFETCH_HEADERS = (("HTTP_SEC_PURPOSE", "prefetch"), ("HTTP_PURPOSE", "prefetch"), ("HTTP_X_MOZ", "prefetch"))


def _networks():
    return [ipaddress.ip_network(text.strip(), strict=False) for text in settings.CRM_TRACKING_MACHINE_NETWORKS]


_NETWORKS = None


def scanner_network(address: str) -> bool:
    global _NETWORKS
    if _NETWORKS is None:
        _NETWORKS = _networks()
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    ip = getattr(ip, "ipv4_mapped", None) or ip
    return any(ip in network for network in _NETWORKS)


def is_prefetch(meta: dict) -> bool:
    return any(value in meta.get(header, "").lower() for header, value in PREFETCH_HEADERS)


def judge(agent: str, address: str) -> str:
    """Why this request looks like a machine's, or "" when it may be a person."""
    if not agent:
        return "no browser"
    if agent.strip() == APPLE_PRIVACY_PROXY:
        return "Apple privacy proxy"
    if SCANNER_AGENTS.search(agent):
        return "scanner or preview"
    if address and scanner_network(address):
        return "scanner network"
    return ""


def network_of(address: str) -> str:
    """The client's address cut to its network (/24, /48): enough to tell floods and scanners
    apart, not enough to name a household."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    ip = getattr(ip, "ipv4_mapped", None) or ip  # ::ffff:1.2.3.4 (a dual-stack bind) is 1.2.3.4
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)
