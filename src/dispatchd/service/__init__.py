"""The service layer: each command runs in one transaction, through the domain, with its effects."""
