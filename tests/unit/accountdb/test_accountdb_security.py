import pytest

from accountdb import security


def test_hash_has_documented_format_and_verifies():
    encoded = security.hash_secret("correct horse")
    scheme, n, r, p, salt, digest = encoded.split("$")
    assert (scheme, int(n), int(r), int(p)) == (
        "scrypt",
        security.DEFAULT_N,
        security.DEFAULT_R,
        security.DEFAULT_P,
    )
    assert salt and digest and "correct horse" not in encoded
    assert security.verify_secret("correct horse", encoded)
    assert not security.verify_secret("correct horsE", encoded)
    assert not security.verify_secret("", encoded)


def test_each_hash_has_its_own_salt():
    first, second = security.hash_secret("1234"), security.hash_secret("1234")
    assert first != second
    assert security.verify_secret("1234", first) and security.verify_secret("1234", second)


def test_cost_parameters_travel_with_the_hash():
    cheap = security.hash_secret("pw", n=2**10)
    assert cheap.split("$")[1] == "1024"
    assert security.verify_secret("pw", cheap)


def test_empty_secret_is_refused():
    with pytest.raises(ValueError, match="empty"):
        security.hash_secret("")


@pytest.mark.parametrize(
    "encoded", ["1234", "bcrypt$1$2$3$aa$bb", "scrypt$x$8$1$aa$bb", "scrypt$16384$8$1$aa"]
)
def test_malformed_stored_hash_is_reported_not_treated_as_a_mismatch(encoded):
    with pytest.raises(security.MalformedSecretHash):
        security.verify_secret("1234", encoded)


@pytest.mark.parametrize("pin", ["123", "12345", "12a4", "", " 1234"])
def test_pin_must_be_four_digits(pin):
    with pytest.raises(ValueError, match="4 digits"):
        security.check_pin_format(pin)


def test_four_digit_pin_is_accepted():
    security.check_pin_format("0007")
