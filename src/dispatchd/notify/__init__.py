"""How messages leave the system: SMS gateways (Apprise or a file sink) and Web Push."""
