"""Launch flags of the page tests' chromium (the fixture giving its path is in this folder's conftest)."""

#: Flags for a headless chromium on a machine without a network: without the background-networking ones it
#: keeps trying Google's hosts.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-proxy-server"]
