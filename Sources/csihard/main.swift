import CSIDaemon

// Placeholder entry point until the daemon issue lands; arguments are parsed and wired here only.
print("csihard: \(CSIDaemonModule.name) not wired yet")
