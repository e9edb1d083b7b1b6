"""One-click unsubscribe from marketing messages (RFC 8058)."""
