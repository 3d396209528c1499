"""The server fixtures of tests/server, for the hostile-input tests."""

from tests.server.conftest import eta_spec_path, eta_spec_path_module, module_server, server, server_factory  # noqa: F401
