"""The app served in this process, once for the server tests that need it (tests/serving.py)."""
import pytest

from tests import serving


@pytest.fixture(scope="session")
def served(settings):
    """(the app's address, its Blocks)."""
    with serving.served(settings) as address_and_app:
        yield address_and_app
