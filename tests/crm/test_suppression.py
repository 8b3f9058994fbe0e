from crm.models import Suppression
from crm.suppression import digest, suppress, suppressed


def test_suppressed_values_are_kept_only_as_keyed_hashes(db):
    suppress(email="ada@example.com", phone="+15550100042")
    suppress(email="ada@example.com")  # twice is once
    assert Suppression.objects.count() == 2
    assert not Suppression.objects.filter(digest__contains="ada").exists()
    assert digest("ada@example.com") != digest("bob@example.com")
    found = suppressed(emails=["ada@example.com", "bob@example.com"], phones=["+15550100042", "+15550100043"])
    assert found == {("email", "ada@example.com"), ("phone", "+15550100042")}
