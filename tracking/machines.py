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

# Words in a lower-cased agent that give a scanner, a preview fetcher or a script away, looked
# for as plain substrings (`in`: C speed, one pass each), and "bot" as a word's end (googlebot,
# bingbot, "bot/1.0"). One case-insensitive regex of the same alternation cost 57 µs an agent,
# more than the rest of the open image's request.
SCANNER_WORDS = (
    "crawler", "spider", "preview", "safelinks", "mimecast", "proofpoint", "barracuda", "forcepoint", "symantec",
    "trendmicro", "fortiguard", "cisco", "ironport", "sophos", "zscaler", "microsoft office", "ms-office",
    "msoffice", "outlook-ios", "outlook-android", "skypeuripreview", "slack", "teams", "discord", "whatsapp",
    "facebookexternalhit", "linkedin", "headless", "phantomjs", "python-", "curl/", "wget/", "go-http-client",
    "java/", "okhttp", "axios", "node-fetch", "libwww", "httpclient", "scrapy",
)  # fmt: skip
BOT = re.compile(r"bot\b")


def scanner_agent(agent: str) -> bool:
    lowered = agent.lower()
    return any(word in lowered for word in SCANNER_WORDS) or BOT.search(lowered) is not None


APPLE_PRIVACY_PROXY = "Mozilla/5.0"
PREFETCH_HEADERS = (("HTTP_SEC_PURPOSE", "prefetch"), ("HTTP_PURPOSE", "prefetch"), ("HTTP_X_MOZ", "prefetch"))


def _networks():
    """CRM_TRACKING_MACHINE_NETWORKS as (version, first, last) integer ranges: a comparison of
    integers a network, where `ip in network` built objects each time."""
    ranges = []
    for text in settings.CRM_TRACKING_MACHINE_NETWORKS:
        network = ipaddress.ip_network(text.strip(), strict=False)
        ranges.append((network.version, int(network.network_address), int(network.broadcast_address)))
    return ranges


_NETWORKS = None


def _ip(address: str):
    """The address as an ipaddress object (::ffff:1.2.3.4, a dual-stack bind, is 1.2.3.4), or None."""
    try:
        ip = ipaddress.ip_address(address) if ":" in address else ipaddress.IPv4Address(address)
    except ValueError:
        return None
    return getattr(ip, "ipv4_mapped", None) or ip


def scanner_network(address: str) -> bool:
    global _NETWORKS
    if _NETWORKS is None:
        _NETWORKS = _networks()
    ip = _ip(address)
    if ip is None:
        return False
    version, number = ip.version, int(ip)
    return any(version == v and first <= number <= last for v, first, last in _NETWORKS)


def is_prefetch(meta: dict) -> bool:
    return any(value in meta.get(header, "").lower() for header, value in PREFETCH_HEADERS)


def judge(agent: str, address: str) -> str:
    """Why this request looks like a machine's, or "" when it may be a person."""
    if not agent:
        return "no browser"
    if agent.strip() == APPLE_PRIVACY_PROXY:
        return "Apple privacy proxy"
    if scanner_agent(agent):
        return "scanner or preview"
    if address and scanner_network(address):
        return "scanner network"
    return ""


def network_of(address: str) -> str:
    """The client's address cut to its network (/24, /48): enough to tell floods and scanners
    apart, not enough to name a household."""
    ip = _ip(address)
    if ip is None:
        return ""
    if ip.version == 4:
        return str(ipaddress.IPv4Address(int(ip) & ~0xFF))  # /24
    return str(ipaddress.IPv6Address(int(ip) & ~((1 << 80) - 1)))  # /48
