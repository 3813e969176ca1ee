from tests.sync.conftest import fleet, identity_service  # noqa: F401 - city hall's side
