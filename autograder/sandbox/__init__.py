"""Running untrusted submissions: the wire format, the warm zygote, isolation and limits."""
