import Foundation

/// Which local users may subscribe, checked on every accepted connection with the kernel's peer credentials
/// (`SO_PEERCRED`). A peer is accepted when its uid is in `uids` or its primary gid is in `gids`; a rejected
/// peer gets one `{"type":"error",...}` line and is closed. Socket file permissions (`socket.mode`,
/// `socket.group`) still apply first; the list narrows them further (e.g. one service account in a shared group).
public struct PeerAllowList: Sendable, Hashable, CustomStringConvertible {
    /// Allowed user ids.
    public var uids: Set<UInt32>
    /// Allowed (primary) group ids of the connecting process.
    public var gids: Set<UInt32>

    /// Creates a list from numeric ids.
    public init(uids: Set<UInt32> = [], gids: Set<UInt32> = []) {
        self.uids = uids
        self.gids = gids
    }

    /// Parses user and group entries, each a decimal id or a name resolved with the user/group database
    /// (`root`, `csihar`); throws naming the entry that is neither.
    public init(users: [String], groups: [String]) throws(PeerAllowListError) {
        var uids = Set<UInt32>(), gids = Set<UInt32>()
        for user in users {
            let text = user.trimmingCharacters(in: .whitespaces)
            if let id = UInt32(text) { uids.insert(id); continue }
            guard !text.isEmpty, let entry = getpwnam(text) else { throw PeerAllowListError(entry: user, kind: "user") }
            uids.insert(entry.pointee.pw_uid)
        }
        for group in groups {
            let text = group.trimmingCharacters(in: .whitespaces)
            if let id = UInt32(text) { gids.insert(id); continue }
            guard !text.isEmpty, let entry = getgrnam(text) else { throw PeerAllowListError(entry: group, kind: "group") }
            gids.insert(entry.pointee.gr_gid)
        }
        self.init(uids: uids, gids: gids)
    }

    /// True when a peer with `uid` and `gid` may subscribe.
    public func allows(uid: UInt32, gid: UInt32) -> Bool {
        uids.contains(uid) || gids.contains(gid)
    }

    /// `uids [0, 1000] gids [27]`.
    public var description: String { "uids \(uids.sorted()) gids \(gids.sorted())" }
}

/// An allow-list entry that is neither a number nor a known user/group name.
public struct PeerAllowListError: Error, Sendable, CustomStringConvertible {
    /// The entry as written.
    public var entry: String
    /// `user` or `group`.
    public var kind: String
    /// The message.
    public var description: String { "\"\(entry)\" is neither a numeric id nor a known \(kind) name" }
}
