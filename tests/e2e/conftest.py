from tests.sync.conftest import fleet  # noqa: F401 - the published fleet behind nginx
