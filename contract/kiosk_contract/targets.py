"""Where things live in the fleet's signed repository (TUF targets)."""


def config_target(centre_id: str) -> str:
    """The repository path of a centre's configuration."""
    return f"centres/{centre_id}/config.json"
