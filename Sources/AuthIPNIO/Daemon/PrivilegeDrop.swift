import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Gives up root once everything that needs it is done (the IKE ports bound, the control
/// socket and the metrics listener open, the audit log open): the process takes the named
/// user's ID, its group (or `group`) and the user's supplementary groups (add the user to
/// `winbindd_priv` for NTLM through winbind), and can never get root back. The state
/// directory is handed to the user first, so the block list can still be written.
struct PrivilegeDrop {
    var user: String
    var group: String?

    /// The IDs the process takes.
    struct Identity {
        var uid: uid_t
        var gid: gid_t
    }

    func resolve() throws(DaemonFailure) -> Identity {
        guard let account = getpwnam(user) else { throw DaemonFailure(description: "user: no user \(user)") }
        var gid = account.pointee.pw_gid
        if let group {
            guard let entry = getgrnam(group) else { throw DaemonFailure(description: "group: no group \(group)") }
            gid = entry.pointee.gr_gid
        }
        return Identity(uid: account.pointee.pw_uid, gid: gid)
    }

    /// Changes the process's identity; `owned` (files and folders, not followed into) become the
    /// user's first. Not root: only a process that already is the user may go on.
    func perform(owning owned: [String]) throws(DaemonFailure) -> Identity {
        let identity = try resolve()
        guard geteuid() == 0 else {
            guard geteuid() == identity.uid else {
                throw DaemonFailure(description: "user: changing to \(user) needs root")
            }
            return identity
        }
        for path in owned where lchown(path, identity.uid, identity.gid) != 0 {
            throw DaemonFailure(
                description: "user: cannot hand \(path) to \(user): \(String(cString: strerror(errno)))")
        }
        guard initgroups(user, identity.gid) == 0, setgid(identity.gid) == 0, setuid(identity.uid) == 0 else {
            throw DaemonFailure(description: "user: cannot become \(user): \(String(cString: strerror(errno)))")
        }
        // setuid from root drops the saved ID too; make sure nothing can take root back.
        guard setuid(0) != 0, getuid() == identity.uid, geteuid() == identity.uid else {
            throw DaemonFailure(description: "user: root could be regained after becoming \(user)")
        }
        return identity
    }
}
