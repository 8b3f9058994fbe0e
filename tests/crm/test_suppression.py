from crm.models import Suppression
from crm.suppression import digest, suppress, suppressed


def test_suppressed_values_are_kept_only_as_keyed_hashes(db):
    suppress(email="ada@example.com", phone="+15550100042")
    suppress(email="ada@example.com")  # twice is once
    assert Suppression.objects.count() == 2
    # Only hex digests: no "@", no domain, no phone digits. (Not "ada": a hex digest may hold it.)
    digests = list(Suppression.objects.values_list("digest", flat=True))
    assert all(set(kept) <= set("0123456789abcdef") for kept in digests), digests
    assert not any("example" in kept or "5550100042" in kept for kept in digests)
    assert digest("ada@example.com") != digest("bob@example.com")
    found = suppressed(emails=["ada@example.com", "bob@example.com"], phones=["+15550100042", "+15550100043"])
    assert found == {("email", "ada@example.com"), ("phone", "+15550100042")}
